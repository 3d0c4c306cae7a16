from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance.errors import BudgetSpent
from conformance.exchange import Request
from conformance.runner.config import resolve
from conformance.runner.target import Target, TransportFailure, parse_duration, retry_delay


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("2.5", 2.5), ("soon", None)],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_retry_delay_prefers_what_the_server_says() -> None:
    assert retry_delay({"retry-after-ms": "250", "retry-after": "9"}, 0) == 0.25
    assert retry_delay({"retry-after": "3"}, 0) == 3.0
    later = retry_delay({"retry-after": formatdate(time.time() + 30, usegmt=True)}, 0)
    assert 25 <= later <= 31
    assert (
        retry_delay({"x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "6m0s"}, 0) == 60.0
    )  # capped
    assert retry_delay({"x-ratelimit-reset-requests": "1.5s"}, 0) == 1.5
    backoff = [retry_delay({}, attempt) for attempt in range(3)]
    assert backoff[0] < backoff[2]


def _config(url: str, **options: str):
    return resolve({"target": url, **options}, environ={"OPENAI_API_KEY": "sk-test-key"}, pyproject=False)


def test_headers_retries_and_budget(serve, recorder, monkeypatch: pytest.MonkeyPatch, openai_spec) -> None:
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 1:
            return JSONResponse(
                {"error": {"message": "slow down"}}, status_code=429, headers={"retry-after-ms": "10"}
            )
        return JSONResponse({"object": "list", "data": [], "has_more": False})

    rec = recorder({("GET", "/v1/assistants"): flaky})
    url = serve(rec.app)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    config = _config(url, organization="org-1", project="proj-1", request_budget="3")
    with Target(config, openai_spec) as target:
        op = openai_spec.operation("listAssistants")
        response = target.send(
            Request("GET", "/assistants", op.id, query={"limit": 2, "include[]": ["a", "b"]}), op
        )
        assert response.status == 200
        assert target.requests_sent == 2  # one retry after the 429
        method, path, headers = rec.seen[-1]
        assert headers["authorization"] == "Bearer sk-test-key"
        assert headers["openai-organization"] == "org-1" and headers["openai-project"] == "proj-1"
        assert headers["openai-beta"] == "assistants=v2"
        target.send(Request("GET", "/models"), None)
        with pytest.raises(BudgetSpent):
            target.send(Request("GET", "/models"), None)
        assert target.requests_sent == 3
    assert "openai-beta" not in rec.seen[-1][2]


def test_a_hanging_target_costs_one_bounded_timeout(serve, openai_spec) -> None:
    async def hang(request):
        await asyncio.sleep(30)
        return JSONResponse({})

    url = serve(Starlette(routes=[Route("/v1/models", hang)]))
    with Target(_config(url, timeout="0.5", retries="0"), openai_spec) as target:
        started = time.monotonic()
        with pytest.raises(TransportFailure, match="no response within 0.5 s"):
            target.send(Request("GET", "/models"))
        assert time.monotonic() - started < 10


def test_multipart_and_json_bodies_are_encoded(serve, recorder, openai_spec) -> None:
    bodies = []

    async def echo(request):
        bodies.append((request.headers.get("content-type", ""), await request.body()))
        return JSONResponse({"id": "file-1"})

    url = serve(Starlette(routes=[Route("/v1/files", echo, methods=["POST"])]))
    with Target(_config(url), openai_spec) as target:
        target.send(
            Request(
                "POST",
                "/files",
                body={"purpose": "assistants"},
                files={"file": ("a.jsonl", b"{}", "application/jsonl")},
                media_type="multipart/form-data",
            )
        )
        target.send(Request("POST", "/files", body={"purpose": "batch"}, media_type="multipart/form-data"))
        target.send(Request("POST", "/files", body={"a": [1, True]}))
        target.send(
            Request(
                "POST",
                "/files",
                body={"include": ["logprobs", "x"], "meta": {"k": 1}},
                media_type="multipart/form-data",
            )
        )
    assert bodies[0][0].startswith("multipart/form-data; boundary=") and b'name="purpose"' in bodies[0][1]
    assert b"a.jsonl" in bodies[0][1]
    assert bodies[1][0].startswith("multipart/form-data; boundary=") and b"batch" in bodies[1][1]
    assert bodies[2] == ("application/json", b'{"a": [1, true]}')
    # arrays repeat `name[]` (as the official SDK writes them), objects are JSON text
    assert bodies[3][1].count(b'name="include[]"') == 2 and b"logprobs" in bodies[3][1]
    assert b'{"k": 1}' in bodies[3][1]
