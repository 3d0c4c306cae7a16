"""The proxy with the official SDK in front and small upstreams behind, on real sockets."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import openai
import pytest

from conformance.proxy import CassetteWriter, read_cassette
from tests.proxy.proxy_servers import proxied, serve
from tests.proxy.proxy_upstreams import BadUpstream, GoodUpstream

KEY = "sk-proj-TESTKEYabcdefghijklmnopqrstuvwxyz0123456789"
ORG = "org-ABCDEFGHIJKLMNOPQRSTuvwx"


def client(base_url: str, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url, api_key=KEY, organization=ORG, max_retries=0, timeout=20, **kwargs
    )


def test_sdk_calls_pass_through_and_conform(spec):
    upstream = GoodUpstream()
    with serve(upstream.app) as server, proxied(spec, server.url + "/v1") as (proxy, base):
        sdk = client(base)
        models = sdk.models.list()
        assert [m.id for m in models.data] == ["gpt-4o-mini", "gpt-4o"]
        assert sdk.models.retrieve("gpt-4o").id == "gpt-4o"
        reply = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "Hello!"
        stream = sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == "Hello!"
        uploaded = sdk.files.create(file=("batch.jsonl", b'{"custom_id": "1"}\n'), purpose="batch")
        assert uploaded.bytes == len(b'{"custom_id": "1"}\n') and uploaded.filename == "batch.jsonl"
    assert proxy.violations() == [], proxy.lines
    assert proxy.observer.exchanges == 5
    ops = {r.operation_id: r for r in proxy.results.operations}
    assert set(ops) == {"listModels", "retrieveModel", "createChatCompletion", "createFile"}
    assert ops["createChatCompletion"].requests == 2
    assert all(r.outcome == "passed" for r in ops.values())


def test_requests_are_forwarded_unchanged(spec):
    upstream = GoodUpstream()
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="b.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\xff\x10binary\r\n--XyZ--\r\n"
    )
    headers = {
        "authorization": f"Bearer {KEY}",
        "content-type": "multipart/form-data; boundary=XyZ",
        "x-custom": "kept",
        "openai-beta": "assistants=v2",
    }
    hop_by_hop = {"connection": "keep-alive, x-hop", "x-hop": "not forwarded", "te": "trailers"}
    with serve(upstream.app) as server, proxied(spec, server.url + "/v1") as (proxy, base):
        response = httpx.post(base + "/files", content=body, headers=headers | hop_by_hop)
        assert response.status_code == 200
        listed = httpx.get(base + "/models?limit=2&order=desc&tag=a&tag=b", headers={"x-custom": "q"})
        assert listed.status_code == 200
    upload, models = upstream.received
    assert upload["body"] == body
    sent = {k.decode().lower(): v.decode() for k, v in upload["headers"]}
    for name, value in headers.items():
        assert sent[name] == value
    assert sent["host"] == server.url.removeprefix("http://")
    assert "x-hop" not in sent and "te" not in sent
    assert models["query"] == "limit=2&order=desc&tag=a&tag=b"
    assert models["path"] == "/v1/models"


def test_paths_outside_the_base_are_forwarded_as_they_are(spec):
    upstream = GoodUpstream()
    with serve(upstream.app) as server, proxied(spec, server.url + "/v1") as (proxy, base):
        response = httpx.get(base.removesuffix("/v1") + "/health")
        assert (response.status_code, response.text) == (200, "ok")
    assert upstream.received[0]["path"] == "/health"
    [result] = proxy.results.operations
    assert result.outcome == "skipped" and "no operation" in (result.reason or "")


def test_stream_events_arrive_before_the_stream_ends(spec):
    """The upstream holds the stream open after its first event until the client has seen that event
    through the proxy: a buffering proxy would never deliver it and the stream would end short."""
    hold = threading.Event()
    upstream = GoodUpstream(hold=hold)
    with serve(upstream.app) as server, proxied(spec, server.url + "/v1") as (proxy, base):
        stream = client(base).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        chunks = iter(stream)
        first = next(chunks)
        assert first.choices[0].delta.role == "assistant"
        assert not hold.is_set()
        hold.set()
        rest = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert rest == "Hello!"
    assert proxy.violations() == [], proxy.lines
    [record] = [r for r in proxy.results.operations]
    assert record.operation_id == "createChatCompletion"


def test_misbehaving_upstream_is_reported_and_the_client_still_answered(spec):
    bad = BadUpstream(slow_seconds=5)
    with (
        serve(bad.app) as server,
        proxied(spec, server.url + "/v1", timeout=1, stream_timeout=1) as (proxy, base),
    ):
        sdk = client(base)
        models = sdk.models.list()  # a schema violation is passed through untouched
        assert models.data[0].id == "gpt-4o"
        with pytest.raises(openai.InternalServerError) as invalid:
            sdk.models.retrieve("gpt-4o")
        assert invalid.value.status_code == 502
        assert invalid.value.body["code"] == "upstream_invalid_json"
        assert invalid.value.response.headers["x-conformance-proxy-error"] == "upstream_invalid_json"
        with pytest.raises(openai.APIStatusError) as slow:
            sdk.files.list()
        assert slow.value.status_code == 504
        assert slow.value.body["code"] == "upstream_timeout"
        raw = httpx.post(
            base + "/chat/completions",
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True},
            timeout=20,
        )
        assert raw.status_code == 200
        assert raw.text.startswith("data: ")
        assert "event: error" in raw.text and "upstream_stream_timeout" in raw.text
        with pytest.raises(openai.APIError, match="did not end within 1 s"):  # what the SDK makes of it
            for _ in sdk.chat.completions.create(model="gpt-4o", messages=[], stream=True):
                pass
        assert sdk.models.list().data  # still serving
    violations = proxy.violations()
    by_check = {(v["operation_id"], v["check"]) for v in violations}
    by_family = {(v["operation_id"], v["family"]) for v in violations}
    assert ("listModels", "response.schema") in by_check  # owned_by missing
    assert ("retrieveModel", "schema") in by_family  # the body is not JSON
    assert ("createChatCompletion", "streaming") in by_family  # the stream was cut short
    assert ("listFiles", "proxy.upstream") in by_check  # no response at all: only the proxy saw it
    assert not any(v["check"] == "proxy.upstream" for v in violations if v["operation_id"] != "listFiles")
    assert proxy.observer.proxy_errors == {
        "upstream_invalid_json": 1,
        "upstream_timeout": 1,
        "upstream_stream_timeout": 2,
    }
    assert any(line.startswith("VIOLATION listModels GET /models -> 200") for line in proxy.lines)
    assert "UPSTREAM retrieveModel GET /models/gpt-4o the client got 502 upstream_invalid_json" in "\n".join(
        proxy.lines
    )
    assert any(
        line.startswith("UPSTREAM createChatCompletion POST /chat/completions the proxy ended")
        for line in proxy.lines
    )
    assert proxy.results.exit_code == 1


def test_a_silent_stream_is_closed_and_a_client_that_leaves_stops_the_copy(spec):
    with (
        serve(BadUpstream().app) as server,
        proxied(spec, server.url + "/v1", timeout=1, stream_timeout=20) as (proxy, base),
    ):
        silent = httpx.post(
            base + "/completions", json={"model": "x", "prompt": "hi", "stream": True}, timeout=20
        )
        assert silent.text.startswith('data: {"id": "cmpl-1"}')
        assert "event: error" in silent.text and "sent nothing for 1 s" in silent.text
        with httpx.stream("POST", base + "/chat/completions", json={"stream": True}, timeout=20) as endless:
            assert next(endless.iter_lines()).startswith("data: ")
        proxy.session.drain()
        deadline = time.monotonic() + 15
        while proxy.observer.exchanges < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            proxy.session.drain()
    errors = {r.operation_id: r.reason for r in proxy.results.operations}
    assert "upstream_stream_timeout" in (errors["createCompletion"] or "")
    assert "client_left" in (errors["createChatCompletion"] or "")
    assert [v["operation_id"] for v in proxy.violations()] == ["createCompletion"] * len(proxy.violations())
    assert proxy.observer.exchanges == 2
    assert proxy.observer.proxy_errors == {"upstream_stream_timeout": 1}  # the client left: no upstream fault


def test_unreachable_upstream_gives_502_and_exit_code_3(spec):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    with proxied(spec, f"http://127.0.0.1:{port}/v1", timeout=2) as (proxy, base):
        for _ in range(2):
            response = httpx.get(base + "/models")
            assert response.status_code == 502
            assert response.json()["error"]["code"] == "upstream_unreachable"
            assert response.json()["error"]["type"] == "server_error"
    assert proxy.results.exit_code == 3
    [result] = proxy.results.operations
    assert result.outcome == "error" and "upstream_unreachable" in (result.reason or "")


def test_record_then_replay_gives_the_same_violations(spec, tmp_path):
    from conformance.proxy.replay import replay

    cassette = tmp_path / "traffic.jsonl"
    bad = BadUpstream(slow_seconds=5)
    with serve(bad.app) as server:
        writer = CassetteWriter(cassette, server.url + "/v1", spec)
        with proxied(spec, server.url + "/v1", writer, timeout=1, stream_timeout=1) as (proxy, base):
            sdk = client(base)
            sdk.models.list()
            with pytest.raises(openai.APIStatusError):
                sdk.models.retrieve("gpt-4o")
            httpx.post(
                base + "/chat/completions",
                json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True},
                headers={"authorization": f"Bearer {KEY}"},
                timeout=20,
            )
    live = sorted((v["signature"], v["message"]) for v in proxy.violations())
    assert live
    text = cassette.read_text()
    assert KEY not in text and ORG not in text and "sk-proj" not in text
    records = list(read_cassette(cassette))
    assert len(records) == 3
    assert records[0]["request"]["headers"]["authorization"] == "[REDACTED]"
    assert records[2]["response"]["events"][0]["data"].startswith("{")
    replayed = replay(cassette, spec, printer=None)
    assert replayed.finish() == 1
    assert sorted((v["signature"], v["message"]) for v in replayed.results.violations()) == live
