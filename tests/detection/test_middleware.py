"""The fault middleware itself: it changes only what its faults change, streams pass through whole,
and `fault_hits` / `request_clock` report what happened."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from conformance.checks import run_checks
from conformance.emulator import create_app
from conformance.emulator.fault_middleware import request_clock
from conformance.exchange import Exchange, Request, Response
from conformance.sse import parse_events

KEY = {"authorization": "Bearer sk-test"}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi."}], "stream": True}


def send(app: Any, calls: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
            return [await client.request(m, p, json=b, headers=KEY) for m, p, b in calls]

    return asyncio.run(go())


def judged(
    spec: Any, method: str, path: str, body: Any, operation_id: str, answer: httpx.Response
) -> set[str]:
    events = (
        list(parse_events([answer.content])) if "event-stream" in answer.headers["content-type"] else None
    )
    request = Request(method, path, operation_id, body=body, media_type="application/json" if body else None)
    response = Response(answer.status_code, dict(answer.headers), answer.content, events=events)
    return {v.check for v in run_checks(Exchange(request, response), spec) if v.severity == "error"}


def test_untouched_stream_passes_through_whole(openai_spec) -> None:
    app = create_app(openai_spec, faults=["wrong-last-id"])
    (answer,) = send(app, [("POST", "/v1/chat/completions", CHAT)])
    assert answer.status_code == 200 and answer.content.rstrip().endswith(b"data: [DONE]")
    assert judged(openai_spec, "POST", "/v1/chat/completions", CHAT, "createChatCompletion", answer) == set()
    assert app.state.fault_hits == {"wrong-last-id": []}


def test_a_stream_fault_is_judged_by_sse_stream(openai_spec) -> None:
    app = create_app(openai_spec, faults=["stream-without-done"])
    (answer,) = send(app, [("POST", "/v1/chat/completions", CHAT)])
    assert b"[DONE]" not in answer.content and b"chat.completion.chunk" in answer.content
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert judged(openai_spec, "POST", "/v1/chat/completions", CHAT, "createChatCompletion", answer) == {
        "sse.stream"
    }
    assert app.state.fault_hits["stream-without-done"] == ["POST /v1/chat/completions"]


def test_hits_name_only_the_requests_a_fault_changed(openai_spec) -> None:
    app = create_app(openai_spec, faults=["wrong-content-type", "limit-ignored"])
    models, missing, assistants = send(
        app,
        [
            ("GET", "/v1/models", None),
            ("GET", "/v1/models/no-such-model", None),
            ("GET", "/v1/assistants?limit=3", None),
        ],
    )
    assert models.headers["content-type"].startswith("text/html") and models.json()["object"] == "list"
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
    assert assistants.status_code == 200
    assert app.state.fault_hits == {
        "wrong-content-type": ["GET /v1/models", "GET /v1/assistants?limit=3"],
        "limit-ignored": ["GET /v1/assistants?limit=3"],
    }


def test_request_clock_moves_one_second_per_request(openai_spec) -> None:
    app = create_app(openai_spec)
    request_clock(app, start=1_700_000_000)
    body = {"model": "gpt-4o-mini"}
    answers = send(app, [("POST", "/v1/assistants", body)] * 3)
    assert [a.json()["created_at"] for a in answers] == [1_700_000_001, 1_700_000_002, 1_700_000_003]
