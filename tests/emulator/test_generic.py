"""The synthesizer, the media files and the spec-driven generic handler."""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib

import pytest

from conformance.emulator import media
from conformance.emulator.endpoints.generic import shape_of
from conformance.emulator.synth import Synthesizer, synthesizer
from conformance.spec import Spec
from tests.emulator.support import assert_error

# -- synthesis -------------------------------------------------------------------------------------------


def _schemas(spec: Spec, requests: bool = False) -> list[tuple[str, str, object]]:
    found = []
    for op in spec.operations:
        if requests:
            found += [(op.id, media_type, schema) for media_type, schema in op.request_bodies.items()]
            continue
        for status, response in op.responses.items():
            if status.startswith("2"):
                found += [(op.id, mt, s) for mt, s in response.content.items() if s is not None]
    return found


def test_every_success_schema_of_the_spec_synthesises_a_valid_value(openai_spec: Spec) -> None:
    synth = Synthesizer(openai_spec)
    schemas = _schemas(openai_spec)
    failures = {}
    for op_id, media_type, schema in schemas:
        errors = synth.errors(schema, synth.value(schema, seed=op_id))
        if errors:
            failures[f"{op_id} {media_type}"] = errors
    print(f"{len(schemas) - len(failures)}/{len(schemas)} response schemas synthesise a valid value")
    assert len(schemas) > 250
    assert not failures


def test_every_request_schema_synthesises_a_valid_value(openai_spec: Spec) -> None:
    synth = synthesizer(openai_spec)
    schemas = _schemas(openai_spec, requests=True)
    failures = {k: e for k, _, s in schemas if (e := synth.errors(s, synth.value(s, seed=k)))}
    assert len(schemas) > 100 and not failures


def test_synthesis_is_deterministic_and_carries_hints(openai_spec: Spec) -> None:
    synth = synthesizer(openai_spec)
    schema = openai_spec.operation("createAssistant").responses["200"].content["application/json"]
    hints = {"model": "gpt-4o", "name": "Tutor", "metadata": {"team": "a"}, "temperature": 0.3, "bogus": 1}
    first = synth.value(schema, hints, seed="s")
    assert first == synth.value(schema, hints, seed="s")
    assert (first["model"], first["name"], first["metadata"], first["temperature"]) == (
        "gpt-4o",
        "Tutor",
        {"team": "a"},
        0.3,
    )
    assert "bogus" not in first and synth.errors(schema, first) == []
    # a hint that does not fit its field is replaced, not copied
    wrong = synth.value(schema, {"temperature": "hot", "tools": "none"}, seed="s")
    assert synth.errors(schema, wrong) == [] and wrong["temperature"] != "hot"


def test_discriminated_union_follows_the_hint(openai_spec: Spec) -> None:
    synth = synthesizer(openai_spec)
    schema = openai_spec.operation("createResponse").responses["200"].content["text/event-stream"]
    event = synth.value(schema, {"type": "response.output_text.delta", "delta": "hi", "sequence_number": 4})
    assert event["type"] == "response.output_text.delta" and event["delta"] == "hi"
    assert event["sequence_number"] == 4 and synth.errors(schema, event) == []


def test_standalone_user_schema_with_refs_and_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 3, "maxLength": 5},
            "size": {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 4},
            "kind": {"$ref": "#/$defs/Kind"},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMinimum": 1}]},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Kind"}, "minItems": 2},
        },
        "required": ["name", "size", "kind", "maybe", "items"],
        "additionalProperties": False,
        "$defs": {"Kind": {"enum": ["a", "b"]}},
    }
    synth = Synthesizer.for_schema(schema)
    value = synth.value(schema)
    assert synth.errors(schema, value) == []
    assert value["size"] == 12 and len(value["items"]) == 2 and value["maybe"] is not None


# -- media -----------------------------------------------------------------------------------------------


def test_png_is_well_formed() -> None:
    data = media.png(2, 3)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (2, 3)
    length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    assert len(zlib.decompress(data[41 : 41 + length])) == 3 * (1 + 2 * 3)


def test_audio_and_archives_decode() -> None:
    with wave.open(io.BytesIO(media.wav(0.5))) as reader:
        assert reader.getframerate() == media.SAMPLE_RATE and reader.getnframes() == media.SAMPLE_RATE // 2
    assert media.audio("flac")[:4] == b"fLaC" and media.audio("opus")[:4] == b"OggS"
    assert media.audio("aac")[:2] == b"\xff\xf1" and media.audio("mp3")[:2] == b"\xff\xfb"
    assert media.image("webp")[8:12] == b"WEBP" and media.image("jpeg")[-2:] == b"\xff\xd9"
    assert zipfile.ZipFile(io.BytesIO(media.zip_archive({"a.txt": "x"}))).read("a.txt") == b"x"
    assert media.zip_archive() == media.zip_archive() and media.mp4()[4:8] == b"ftyp"


# -- the generic handler ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation_id", "role"),
    [
        ("createEval", "create"),
        ("listEvals", "list"),
        ("getEvalRun", "retrieve"),
        ("cancelEvalRun", "modify"),
        ("deleteEval", "delete"),
        ("archive-project", "action"),
        ("RetrieveVideoContent", "content"),
        ("retrieve-organization-data-retention", "singleton"),
        ("retrieve-project-model-permissions", "singleton"),
        ("usage-costs", "other"),
    ],
)
def test_shapes_are_read_from_path_templates(openai_spec: Spec, operation_id: str, role: str) -> None:
    assert shape_of(openai_spec, operation_id).role == role


EVAL = {
    "name": "my eval",
    "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
    "testing_criteria": [
        {"type": "string_check", "name": "eq", "input": "{{item.a}}", "reference": "b", "operation": "eq"}
    ],
    "metadata": {"team": "x"},
}


def test_generic_crud_carries_the_request_and_paginates(http) -> None:
    made = [http.post("/evals", json={**EVAL, "name": f"eval {i}"}) for i in range(3)]
    assert all(r.status_code == 201 for r in made)
    first = made[0].json()
    assert (
        first["id"].startswith("eval_") and first["name"] == "eval 0" and first["metadata"] == {"team": "x"}
    )
    assert first["object"] == "eval" and first["testing_criteria"][0]["reference"] == "b"
    assert http.get(f"/evals/{first['id']}").json() == first
    page = http.get("/evals", params={"limit": 2, "order": "asc"}).json()
    assert [e["name"] for e in page["data"]] == ["eval 0", "eval 1"] and page["has_more"] is True
    rest = http.get("/evals", params={"limit": 2, "order": "asc", "after": page["last_id"]}).json()
    assert [e["name"] for e in rest["data"]] == ["eval 2"] and rest["has_more"] is False
    renamed = http.post(f"/evals/{first['id']}", json={"name": "renamed"}).json()
    assert renamed["name"] == "renamed" and renamed["metadata"] == {"team": "x"}
    deleted = http.delete(f"/evals/{first['id']}").json()
    assert deleted["deleted"] is True and deleted["eval_id"] == first["id"]
    assert_error(http.get(f"/evals/{first['id']}"), 404, param="eval_id")


def test_nested_collections_need_their_parent(http) -> None:
    assert_error(http.get("/evals/eval_missing/runs"), 404, param="eval_id")
    parent = http.post("/evals", json=EVAL).json()
    run = http.post(
        f"/evals/{parent['id']}/runs",
        json={"name": "r", "data_source": {"type": "jsonl", "source": {"type": "file_id", "id": "file-x"}}},
    )
    assert run.status_code == 201 and run.json()["eval_id"] == parent["id"]
    listed = http.get(f"/evals/{parent['id']}/runs").json()
    assert [r["id"] for r in listed["data"]] == [run.json()["id"]]
    cancelled = http.post(f"/evals/{parent['id']}/runs/{run.json()['id']}").json()
    assert cancelled["id"] == run.json()["id"] and cancelled["status"] == "cancelled"


def test_actions_change_status(http) -> None:
    project = http.post("/organization/projects", json={"name": "p"}).json()
    assert project["name"] == "p" and project["status"] == "active"
    archived = http.post(f"/organization/projects/{project['id']}/archive").json()
    assert archived["status"] == "archived"
    assert http.get(f"/organization/projects/{project['id']}").json()["status"] == "archived"


def test_collections_without_create_hold_seeded_objects(http) -> None:
    users = http.get("/organization/users").json()["data"]
    assert len(users) == 2 and {u["object"] for u in users} == {"organization.user"}
    assert {u["email"] for u in users} == {"user1@example.com", "user2@example.com"}
    assert http.get(f"/organization/users/{users[0]['id']}").json() == users[0]
    assert_error(http.get("/organization/users/user-unknown"), 404, param="user_id")
    assert http.delete(f"/organization/users/{users[0]['id']}").json()["deleted"] is True
    assert_error(http.get(f"/organization/users/{users[0]['id']}"), 404)
    assert [u["id"] for u in http.get("/organization/users").json()["data"]] == [users[1]["id"]]


def test_singletons_read_and_merge(http) -> None:
    before = http.get("/organization/data_retention").json()
    assert before["object"] == "organization.data_retention"
    project = http.post("/organization/projects", json={"name": "p"}).json()
    path = f"/organization/projects/{project['id']}/model_permissions"
    assert http.get(path).status_code == 200
    assert_error(http.get("/organization/projects/proj_missing/model_permissions"), 404)


def test_content_endpoints_answer_media(http) -> None:
    video = http.post("/videos", json={"prompt": "a cat", "model": "sora-2"}).json()
    content = http.get(f"/videos/{video['id']}/content")
    assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"
    assert content.content[4:8] == b"ftyp"
    thumb = http.get(f"/videos/{video['id']}/content", params={"variant": "thumbnail"})
    assert thumb.headers["content-type"] == "image/webp"


def test_conversation_items_through_the_sdk(client) -> None:
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "hello"}], metadata={"topic": "demo"}
    )
    assert conversation.id.startswith("conv_") and conversation.metadata == {"topic": "demo"}
    added = client.conversations.items.create(
        conversation.id, items=[{"type": "message", "role": "assistant", "content": "hi there"}]
    )
    assert [i.content[0].text for i in added.data] == ["hi there"]
    listed = client.conversations.items.list(conversation.id, order="asc")
    assert [i.content[0].text for i in listed.data] == ["hello", "hi there"]
    first = listed.data[0]
    assert client.conversations.items.retrieve(first.id, conversation_id=conversation.id).id == first.id
    client.conversations.items.delete(first.id, conversation_id=conversation.id)
    assert [i.id for i in client.conversations.items.list(conversation.id)] == [added.data[0].id]
    assert client.conversations.delete(conversation.id).deleted is True


def test_async_objects_follow_run_delay(make_app) -> None:
    from starlette.testclient import TestClient

    from tests.emulator.support import KEY, Clock

    clock = Clock()
    app = make_app(run_delay=10, clock=clock)
    http = TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})
    video = http.post("/videos", json={"prompt": "a cat", "model": "sora-2"}).json()
    assert video["status"] == "queued" and video["progress"] == 0 and video["remixed_from_video_id"] is None
    seen = []
    for _ in range(3):
        seen.append(http.get(f"/videos/{video['id']}").json()["status"])
        clock.advance(10)
    assert seen == ["queued", "in_progress", "completed"]
    done = http.get(f"/videos/{video['id']}").json()
    assert done["progress"] == 100 and done["completed_at"] == int(clock.now) - 10
