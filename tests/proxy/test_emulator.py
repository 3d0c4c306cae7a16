"""Acceptance: the official SDK -> the proxy -> the bundled emulator, every call works, no violations."""

from __future__ import annotations

import openai
import pytest

from conformance.emulator import create_app
from tests.proxy.proxy_servers import proxied, serve

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK's Assistants API


def test_sdk_through_the_proxy_to_the_emulator(spec, tmp_path):
    with serve(create_app(spec)) as emulator, proxied(spec, emulator.url + "/v1") as (proxy, base):
        sdk = openai.OpenAI(base_url=base, api_key="sk-test-0123456789abcdef", max_retries=0, timeout=30)
        models = sdk.models.list()
        assert models.data and sdk.models.retrieve(models.data[0].id).id == models.data[0].id
        reply = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content
        chunks = list(
            sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        embedding = sdk.embeddings.create(model="text-embedding-3-small", input="hi", encoding_format="float")
        assert embedding.data[0].embedding
        uploaded = sdk.files.create(file=("batch.jsonl", b'{"custom_id": "1"}\n'), purpose="batch")
        assert sdk.files.retrieve(uploaded.id).id == uploaded.id
        assert sdk.files.content(uploaded.id).content == b'{"custom_id": "1"}\n'
        assert uploaded.id in [f.id for f in sdk.files.list()]
        thread = sdk.beta.threads.create()
        sdk.beta.threads.messages.create(thread.id, role="user", content="hello")
        assert [m.role for m in sdk.beta.threads.messages.list(thread.id)] == ["user"]
        assert sdk.files.delete(uploaded.id).deleted
        try:
            sdk.files.retrieve(uploaded.id)
        except openai.NotFoundError as exc:
            assert exc.status_code == 404
        else:
            raise AssertionError("a deleted file was still there")
    # the emulator answers like the real API: its known deviations (file nulls, listFiles' cursors), nothing else
    found = proxy.violations()
    assert found and all(v.get("known_deviation") for v in found), "\n".join(proxy.lines)
    assert proxy.observer.exchanges == 14
    assert proxy.results.exit_code == 0
