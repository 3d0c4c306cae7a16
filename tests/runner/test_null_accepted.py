"""positive.null_accepted: the positive phase sends explicit nulls the spec allows, every run, and a
server that rejects one is told which property it wrongly refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from conformance.emulator import create_app
from conformance.runner.config import resolve
from conformance.runner.session import Session


class RejectsNullDescription:
    """The emulator behind a FastAPI/pydantic-style model with `description: str = ""`: an explicit
    `"description": null` on POST /v1/assistants gets pydantic's 422."""

    def __init__(self) -> None:
        self.emulator = create_app(run_delay=0)
        self.rejected = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("POST", "/v1/assistants"):
            await self.emulator(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        body = json.loads(raw) if raw else None
        if isinstance(body, dict) and "description" in body and body["description"] is None:
            self.rejected += 1
            detail = [
                {
                    "type": "string_type",
                    "loc": ["body", "description"],
                    "msg": "Input should be a valid string",
                }
            ]
            payload = json.dumps({"detail": detail}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ]
            await send({"type": "http.response.start", "status": 422, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = False

        async def again() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.emulator(scope, again, send)


def _run(config_values: dict[str, str], operation_ids: list[str], openai_spec, app: Any = None):
    config = resolve(
        {"phases": "positive", "max_examples": "3", **config_values}, environ={}, pyproject=False
    )
    session = Session(config, openai_spec, app=app)
    sent = []
    session.listeners.append(
        lambda exchange, op, found: sent.append(exchange) if exchange.request.nulls else None
    )
    try:
        results = [session.run(op_id, "positive") for op_id in operation_ids]
    finally:
        session.close()
    return results, sent


def test_a_server_rejecting_an_allowed_null_gets_the_finding_naming_the_property(serve, openai_spec) -> None:
    server = RejectsNullDescription()
    url = serve(server)
    (result,), sent = _run({"target": url, "target_kind": "test-server"}, ["createAssistant"], openai_spec)
    assert server.rejected >= 1 and sent and all("description" in ex.request.nulls for ex in sent)
    found = [v for v in result.violations if v["check"] == "positive.null_accepted"]
    assert result.outcome == "failed" and len(found) == 1, result.violations
    assert found[0]["message"] == "explicit null for description which the spec allows; got 422"
    assert "Input should be a valid string" in found[0]["got"] and found[0]["request"]["nulls"]
    assert found[0]["request"]["body"]["description"] is None


@pytest.mark.parametrize("kind", ["test-server", "real-account"])
def test_the_clean_emulator_accepts_every_allowed_null(openai_spec, kind) -> None:
    operations = [
        "createAssistant",
        "modifyAssistant",
        "createChatCompletion",
        "createThread",
        "createResponse",
    ]
    results, sent = _run({"target": "emulator", "target_kind": kind}, operations, openai_spec)
    assert {ex.request.operation_id for ex in sent} == set(operations)  # one each, every run
    assert all(200 <= ex.response.status < 300 for ex in sent), [
        (ex.request.describe(), ex.response.text(200)) for ex in sent
    ]
    failures = [v for r in results for v in r.violations if not v.get("known_deviation")]
    assert all(r.outcome == "passed" for r in results) and not failures, failures
    nested = [
        ex.request
        for ex in sent
        if ex.request.operation_id == "createResponse" and "." in ex.request.nulls[0]
    ]
    assert (
        nested and nested[0].body["reasoning"]["effort"] is None
    )  # the second request: nulls inside objects
    chat = next(ex.request for ex in sent if ex.request.operation_id == "createChatCompletion")
    assert {"temperature", "top_p", "stop"} <= {k for k, v in chat.body.items() if v is None}
    if kind == "real-account":  # an explicit null token limit is no limit: the clamp caps it
        assert any(isinstance(chat.body.get(k), int) for k in ("max_completion_tokens", "max_tokens"))
