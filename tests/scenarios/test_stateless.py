"""A target that keeps no state (a mock answering its samples, as Prism does) is told on evidence, once
per run, and the read-your-writes judgements are left out naming it; a target that keeps state is judged."""

from __future__ import annotations

import json
from typing import Any

from conformance.runner.stateless import STATE_BOUND, evidence_of

ASSISTANT = {
    "id": "asst_abc123",
    "object": "assistant",
    "created_at": 1699009709,
    "name": "sample",
    "description": None,
    "model": "gpt-4o",
    "instructions": None,
    "tools": [],
    "metadata": {},
    "top_p": 1.0,
    "temperature": 1.0,
    "response_format": "auto",
}


def sample(method: str, path: str) -> tuple[int, Any]:
    """What a mock of the spec answers: the same sample whatever was sent or done before."""
    if path == "/v1/assistants":
        if method == "GET":
            page = {"object": "list", "data": [ASSISTANT], "has_more": False}
            return 200, {**page, "first_id": ASSISTANT["id"], "last_id": ASSISTANT["id"]}
        return 200, ASSISTANT
    if path.startswith("/v1/assistants/"):
        if method == "DELETE":
            return 200, {"id": ASSISTANT["id"], "object": "assistant.deleted", "deleted": True}
        return 200, ASSISTANT
    return 404, {"error": {"message": "no", "type": "invalid_request_error", "param": None, "code": None}}


async def stateless(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    status, body = sample(scope["method"], scope["path"])
    headers = [(b"content-type", b"application/json"), (b"x-request-id", b"req_1")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def test_the_crud_judgements_are_left_out_on_a_target_that_keeps_no_state(make_session) -> None:
    session = make_session(stateless, phases=["stateful", "scenarios"])
    results = [
        session.run("createAssistant", "stateful"),
        session.run("crud-assistants", "scenarios"),
        session.run("pagination-listAssistants", "scenarios"),
    ]
    for result in results:
        checks = {v["check"] for v in result.violations}
        assert not checks & STATE_BOUND and "pagination.traversal" not in checks, result.violations
        assert (result.reason or "").startswith("the target keeps no state: getAssistant answered "), result
    # the reason names the evidence: the answer to an id this run never created
    evidence = evidence_of(session)
    assert evidence.asked and "an id this run never created" in (evidence.reason or "")


def test_a_target_that_keeps_state_is_still_judged(make_session) -> None:
    """The emulator forgetting a metadata update: the probe of an unknown id gets 404, the finding stays."""

    def forget(method: str, path: str, status: int, body: Any) -> tuple[int, Any] | None:
        if method == "GET" and path.startswith("/v1/assistants/") and status == 200:
            return status, {**body, "metadata": {}}
        return None

    session = make_session(rule=forget, phases=["stateful"])
    result = session.run("createAssistant", "stateful")
    assert "lifecycle.lost_update" in {v["check"] for v in result.violations}, result.violations
    assert evidence_of(session).asked and evidence_of(session).reason is None
