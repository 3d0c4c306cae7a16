"""The lifecycle oracle on hand-made answers: each check passes a legal sequence and fires on a broken one."""

from __future__ import annotations

import json
from typing import Any

from conformance.checks.lifecycle import Oracle
from conformance.exchange import Exchange, Request, Response, SSEEvent

T0 = 1_760_000_000


def answer(body: Any, status: int = 200, operation_id: str = "getRun", method: str = "GET") -> Exchange:
    request = Request(method, "/threads/thread_1/runs/run_1", operation_id, mode="scenario")
    headers = {"content-type": "application/json"}
    return Exchange(request, Response(status, headers, json.dumps(body).encode()))


def run(status: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": "run_1",
        "object": "thread.run",
        "created_at": T0,
        "status": status,
        "started_at": None,
        "completed_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "required_action": None,
        "usage": None,
    }
    return {**base, **fields}


def checks(violations: list[Any]) -> list[str]:
    return [v.check for v in violations]


ACTION = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": []}}
USAGE = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}


def test_a_legal_run_lifecycle_has_no_findings() -> None:
    oracle = Oracle()
    sequence = [
        run("queued"),
        run("in_progress", started_at=T0 + 1),
        run("requires_action", started_at=T0 + 1, required_action=ACTION),
        run("queued", started_at=T0 + 1),  # resumed after tool outputs
        run("completed", started_at=T0 + 1, completed_at=T0 + 5, usage=USAGE),
        run("completed", started_at=T0 + 1, completed_at=T0 + 5, usage=USAGE),
    ]
    found = [v for i, body in enumerate(sequence) for v in oracle.observe(answer(body), created=i == 0)]
    assert found == []
    assert oracle.history["run_1"] == ["queued", "in_progress", "requires_action", "queued", "completed"]


def test_missed_intermediate_states_are_legal_but_impossible_jumps_are_not() -> None:
    oracle = Oracle()
    assert oracle.observe(answer(run("queued")), created=True) == []
    assert oracle.observe(answer(run("cancelling"))) == []  # queued -> cancelling
    found = oracle.observe(answer(run("in_progress", started_at=T0)))  # cancelling never goes back
    assert checks(found) == ["lifecycle.transition"]
    assert found[0].family == "lifecycle" and found[0].path == "$.status"


def test_terminal_states_stay_terminal() -> None:
    oracle = Oracle()
    oracle.observe(answer(run("completed", started_at=T0, completed_at=T0 + 1, usage=USAGE)))
    found = oracle.observe(answer(run("in_progress", started_at=T0)))
    assert checks(found) == ["lifecycle.terminal"]
    assert "completed" in found[0].message and found[0].got == "in_progress"


def test_unknown_status_and_impossible_initial_status() -> None:
    assert checks(Oracle().observe(answer(run("done")))) == ["lifecycle.state"]
    created = Oracle().observe(answer(run("cancelled", cancelled_at=T0)), created=True)
    assert checks(created) == ["lifecycle.state"]


def test_fields_follow_the_status() -> None:
    missing = Oracle().observe(answer(run("completed", started_at=T0, usage=USAGE)))
    assert checks(missing) == ["lifecycle.fields"] and missing[0].path == "$.completed_at"
    early = Oracle().observe(answer(run("in_progress", started_at=T0, completed_at=T0)))
    assert checks(early) == ["lifecycle.fields"] and early[0].path == "$.completed_at"
    usage = Oracle().observe(answer(run("in_progress", started_at=T0, usage=USAGE)))
    assert [v.path for v in usage] == ["$.usage"]
    before = Oracle().observe(answer(run("in_progress", started_at=T0 - 10)))
    assert [v.message for v in before] == ["started_at is earlier than created_at"]


def test_a_timestamp_never_moves() -> None:
    oracle = Oracle()
    oracle.observe(answer(run("in_progress", started_at=T0 + 1)))
    found = oracle.observe(answer(run("requires_action", started_at=T0 + 2, required_action=ACTION)))
    assert [v.message for v in found] == ["started_at changed after it was set"]


def test_list_items_and_stream_payloads_are_observed() -> None:
    oracle = Oracle()
    page = {"object": "list", "data": [run("completed", started_at=T0, usage=USAGE)], "has_more": False}
    found = oracle.observe(answer(page, operation_id="listRuns"))
    assert [v.path for v in found] == ["$.data[0].completed_at"]
    events = [
        SSEEvent(json.dumps(run("queued")), "thread.run.created"),
        SSEEvent(
            json.dumps(run("completed", started_at=T0, completed_at=T0, usage=USAGE)), "thread.run.completed"
        ),
        SSEEvent(json.dumps(run("in_progress", started_at=T0)), "thread.run.in_progress"),
        SSEEvent("[DONE]", "done"),
    ]
    stream = Exchange(Request("POST", "/threads/t/runs", "createRun"), Response(200, {}, b"", events=events))
    found = Oracle().observe(stream)
    assert checks(found) == ["lifecycle.terminal"] and found[0].path == "$events[2].status"


def batch(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "batch_1", "object": "batch", "created_at": T0, "status": status, **fields}


def test_cancel_in_a_terminal_state_needs_the_documented_error() -> None:
    done = batch("completed", in_progress_at=T0, finalizing_at=T0, completed_at=T0)
    error = {
        "error": {"message": "Cannot cancel", "type": "invalid_request_error", "param": None, "code": None}
    }
    assert Oracle().judge_cancel(answer(error, 409, "cancelBatch", "POST"), "batch", "completed") == []
    accepted = Oracle().judge_cancel(answer(done, 200, "cancelBatch", "POST"), "batch", "completed")
    assert checks(accepted) == ["lifecycle.cancel"]
    wrong_status = Oracle().judge_cancel(answer(error, 404, "cancelBatch", "POST"), "batch", "completed")
    assert checks(wrong_status) == ["lifecycle.cancel"] and wrong_status[0].got == "404"
    bad_type = {"error": {**error["error"], "type": "server_error"}}
    wrong_type = Oracle().judge_cancel(answer(bad_type, 400, "cancelBatch", "POST"), "batch", "completed")
    assert [v.path for v in wrong_type] == ["$.error.type"]


def test_cancel_of_an_active_object() -> None:
    cancelling = batch("cancelling", cancelling_at=T0)
    assert Oracle().judge_cancel(answer(cancelling, 200, "cancelBatch", "POST"), "batch", "in_progress") == []
    refused = Oracle().judge_cancel(answer({"error": {}}, 400, "cancelBatch", "POST"), "batch", "in_progress")
    assert checks(refused) == ["lifecycle.cancel"]
    ignored = batch("in_progress", in_progress_at=T0)
    wrong = Oracle().judge_cancel(answer(ignored, 200, "cancelBatch", "POST"), "batch", "validating")
    assert checks(wrong) == ["lifecycle.cancel"]


def test_an_idempotent_cancel_is_accepted_where_documented() -> None:
    response = {
        "id": "resp_1",
        "object": "response",
        "created_at": T0,
        "status": "completed",
        "completed_at": T0,
    }
    late = answer(response, 200, "cancelResponse", "POST")
    assert Oracle().judge_cancel(late, "response", "completed") == []
    assert Oracle().judge_cancel(late, "response", "queued") == []  # it finished before the cancel
    run_done = run("completed", started_at=T0, completed_at=T0, usage=USAGE)
    assert checks(
        Oracle().judge_cancel(answer(run_done, 200, "cancelRun", "POST"), "thread.run", "completed")
    ) == ["lifecycle.cancel"]
