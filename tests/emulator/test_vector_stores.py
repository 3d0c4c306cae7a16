"""Vector stores, their files, file batches and search through the official SDK."""

from __future__ import annotations

import openai
import pytest

from tests.emulator.support import Clock, assert_error, sdk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _files(client: openai.OpenAI, *texts: str) -> list[str]:
    return [
        client.files.create(file=(f"f{i}.txt", t.encode()), purpose="assistants").id
        for i, t in enumerate(texts)
    ]


def test_vector_store_with_files(client: openai.OpenAI) -> None:
    ids = _files(client, "the quick brown fox", "jumps over the lazy dog", "nothing relevant here")
    store = client.vector_stores.create(name="docs", file_ids=ids[:2], metadata={"k": "v"})
    assert store.id.startswith("vs_") and store.object == "vector_store"
    assert store.file_counts.total == 2 and store.file_counts.completed == 2 and store.status == "completed"
    added = client.vector_stores.files.create(store.id, file_id=ids[2], attributes={"lang": "en", "n": 3})
    assert added.id == ids[2] and added.status == "completed" and added.vector_store_id == store.id
    assert client.vector_stores.retrieve(store.id).file_counts.total == 3
    listed = [f.id for f in client.vector_stores.files.list(store.id)]
    assert sorted(listed) == sorted(ids)
    results = client.vector_stores.search(store.id, query="brown fox")
    assert results.data[0].file_id == ids[0] and results.data[0].score == 1.0
    filtered = client.vector_stores.search(
        store.id, query="here", filters={"type": "eq", "key": "lang", "value": "en"}
    )
    assert [r.file_id for r in filtered.data] == [ids[2]]
    content = client.vector_stores.files.content(ids[0], vector_store_id=store.id)
    assert [c.text for c in content] == ["the quick brown fox"]
    updated = client.vector_stores.files.update(ids[2], vector_store_id=store.id, attributes={"lang": "fr"})
    assert updated.attributes == {"lang": "fr"}
    assert client.vector_stores.files.delete(ids[0], vector_store_id=store.id).deleted
    after = client.vector_stores.retrieve(store.id)
    assert after.file_counts.total == 2 and client.files.retrieve(ids[0]).id == ids[0]  # the File stays
    renamed = client.vector_stores.update(
        store.id, name="renamed", expires_after={"anchor": "last_active_at", "days": 2}
    )
    assert renamed.name == "renamed" and renamed.expires_at == renamed.last_active_at + 2 * 86400
    assert client.vector_stores.delete(store.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)


def test_file_status_moves_with_file_delay(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(file_delay=10, clock=clock))
    ids = _files(client, "a", "b")
    store = client.vector_stores.create(name="slow", file_ids=ids)
    assert store.status == "in_progress" and store.file_counts.in_progress == 2
    assert [f.id for f in client.vector_stores.files.list(store.id, filter="in_progress")] != []
    clock.advance(10)
    ready = client.vector_stores.retrieve(store.id)
    assert (
        ready.status == "completed"
        and ready.file_counts.completed == 2
        and ready.file_counts.in_progress == 0
    )
    assert ready.usage_bytes == 2


def test_file_batches(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(file_delay=10, clock=clock))
    ids = _files(client, "one", "two", "three")
    store = client.vector_stores.create(name="batches")
    batch = client.vector_stores.file_batches.create(store.id, file_ids=ids[:2])
    # the object the real API names (deviation vector-store-file-batch-object; the spec: files_batch)
    assert batch.id.startswith("vsfb_") and batch.object == "vector_store.file_batch"
    assert batch.status == "in_progress" and batch.file_counts.in_progress == 2
    cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert cancelled.status == "cancelled" and cancelled.file_counts.cancelled == 2
    second = client.vector_stores.file_batches.create(store.id, file_ids=[ids[2]])
    clock.advance(10)
    done = client.vector_stores.file_batches.retrieve(second.id, vector_store_id=store.id)
    assert done.status == "completed" and done.file_counts.completed == 1
    files = client.vector_stores.file_batches.list_files(second.id, vector_store_id=store.id)
    assert [f.id for f in files] == [ids[2]]
    counts = client.vector_stores.retrieve(store.id).file_counts
    assert (counts.cancelled, counts.completed, counts.total) == (2, 1, 3)
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.file_batches.cancel(second.id, vector_store_id=store.id)


def test_vector_store_errors(http) -> None:
    assert_error(http.post("/vector_stores", json={"file_ids": ["file-missing"]}), 404, param="file_ids[0]")
    store = http.post("/vector_stores", json={"name": "x"}).json()
    assert_error(http.post(f"/vector_stores/{store['id']}/files", json={}), 400, param="file_id")
    assert_error(http.get(f"/vector_stores/{store['id']}/files/file-nope"), 404)
    assert_error(
        http.post(f"/vector_stores/{store['id']}/search", json={"query": "x", "max_num_results": 51}), 400
    )
    empty = http.get(f"/vector_stores/{store['id']}/files").json()
    assert empty == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_assistant_file_search_helper_creates_store(client: openai.OpenAI) -> None:
    ids = _files(client, "hello")
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": ids}]}},
    )
    store_ids = assistant.tool_resources.file_search.vector_store_ids
    assert len(store_ids) == 1
    assert client.vector_stores.retrieve(store_ids[0]).file_counts.total == 1
