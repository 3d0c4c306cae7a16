"""Scenarios respect --read-only and the request budget, and clean up what they create, also on failure."""

from __future__ import annotations

import re
from typing import Any

import httpx

from conformance.emulator import create_app
from conformance.exchange import Request
from conformance.scenarios import registered
from conformance.spec import Spec
from tests.scenarios.support import store_counts

KINDS = ("assistant", "thread", "thread.message", "vector_store", "file", "chat.completion")


def test_read_only_skips_every_scenario_without_sending(make_session) -> None:
    session = make_session(read_only=True)
    for name in registered():
        result = session.run(name, "scenarios")
        assert result.outcome == "skipped", name
        assert "--read-only" in (result.reason or "")
    assert session.target.requests_sent == 0


def test_a_small_budget_skips_with_a_reason_and_is_never_exceeded(make_session) -> None:
    session = make_session(request_budget=5)
    result = session.run("assistants-workflow", "scenarios")
    assert result.outcome == "skipped"
    assert "budget has 5 left" in (result.reason or "")
    assert session.target.requests_sent == 0


def test_a_budget_runs_what_fits_then_skips(make_session) -> None:
    session = make_session(request_budget=120)
    outcomes = {name: session.run(name, "scenarios").outcome for name in registered()}
    assert "passed" in outcomes.values() and "skipped" in outcomes.values()
    assert "failed" not in outcomes.values() and "error" not in outcomes.values()
    assert session.target.requests_sent <= 120
    assert store_counts(session.app, KINDS) == dict.fromkeys(KINDS, 0)


def test_a_failing_flow_still_cleans_up(make_session) -> None:
    def broken_submit(method: str, path: str, status: int, body: Any) -> Any:
        if path.endswith("/submit_tool_outputs"):
            return 500, {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}
        return None

    session = make_session(rule=broken_submit, retries=0)
    result = session.run("assistants-workflow", "scenarios")
    assert result.outcome == "failed"
    assert store_counts(session.app, ("assistant", "thread", "thread.message")) == {
        "assistant": 0,
        "thread": 0,
        "thread.message": 0,
    }
    assert any(path.startswith("/assistants/") and status == 200 for path, status in session.cleaned)


def test_a_crashing_scenario_still_cleans_up(make_session) -> None:
    session = make_session()

    def crash(exchange: Any, operation: Any, violations: Any) -> None:
        if exchange.request.operation_id == "createRun":
            raise RuntimeError("listener bug")

    session.listeners.append(crash)
    result = session.run("assistants-cancel", "scenarios")
    assert result.outcome == "error" and "listener bug" in (result.reason or "")
    assert store_counts(session.app, ("assistant", "thread")) == {"assistant": 0, "thread": 0}


def test_only_objects_the_scenario_created_are_deleted(make_session, openai_spec: Spec) -> None:
    app = create_app(openai_spec)
    session = make_session(app)
    body = {"model": "gpt-4o-mini", "name": "not ours"}
    request = Request("POST", "/assistants", "createAssistant", "/assistants", body=body, mode="scenario")
    mine = session.target.send(request, openai_spec.operation("createAssistant")).json()["id"]
    for name in ("crud-assistants", "pagination-listAssistants", "assistants-workflow"):
        assert session.run(name, "scenarios").outcome == "passed"
    left = [a["id"] for a in app.state.store.list("assistant", any_parent=True)]
    assert left == [mine]
    deleted = [path for path, _ in session.cleaned if re.fullmatch(r"/assistants/[^/]+", path)]
    assert deleted and f"/assistants/{mine}" not in deleted


def test_scenarios_tag_what_they_create(make_session) -> None:
    session = make_session()
    seen: list[Any] = []
    session.listeners.append(lambda exchange, operation, violations: seen.append(exchange.request))
    assert session.run("crud-vector-stores", "scenarios").outcome == "passed"
    creates = [r for r in seen if r.operation_id == "createVectorStore"]
    assert creates and all(r.body["metadata"]["conformance_run"] == session.run_id for r in creates)


def test_http_target_runs_a_scenario(make_session, openai_spec: Spec) -> None:
    session = make_session(target="emulator-http")
    assert session.target.base_url.startswith("http://127.0.0.1:")
    assert session.run("thread-and-run", "scenarios").outcome == "passed"
    with httpx.Client(base_url=session.target.base_url, headers=session.target.default_headers) as client:
        assert client.get("/assistants", headers={"openai-beta": "assistants=v2"}).json()["data"] == []


def test_polling_stops_in_time_to_clean_up_within_the_budget(make_session) -> None:
    def never_finishes(method: str, path: str, status: int, body: Any) -> Any:
        if method == "GET" and re.match(r"^/v1/threads/[^/]+/runs/[^/]+$", path):
            return status, {**body, "status": "in_progress", "completed_at": None, "usage": None}
        return None

    session = make_session(rule=never_finishes, request_budget=60)
    result = session.run("thread-and-run", "scenarios")
    assert result.outcome == "skipped" and "kept for cleaning up" in (result.reason or "")
    assert 50 < session.target.requests_sent <= 60
    assert store_counts(session.app, ("assistant", "thread")) == {"assistant": 0, "thread": 0}


def test_a_state_machine_stops_in_time_to_clean_up(make_session) -> None:
    session = make_session()

    def shrink_budget(exchange: Any, operation: Any, violations: Any) -> None:
        if session.target.requests_sent == 20:  # someone else spent the rest of the budget
            session.target.budget = 30

    session.listeners.append(shrink_budget)
    result = session.run("crud-assistants", "scenarios")
    assert result.outcome == "skipped" and "kept for cleaning up" in (result.reason or ""), result.reason
    assert session.target.requests_sent <= 30
    assert store_counts(session.app, ("assistant",)) == {"assistant": 0}


def test_a_run_still_going_when_the_flow_fails_is_cancelled(make_session) -> None:
    from conformance.scenarios.flow import Polling

    session = make_session(run_delay=60.0, polling=Polling(interval=0.0, max_polls=3, backoff=1.0))
    result = session.run("thread-and-run", "scenarios")
    assert result.outcome == "failed"
    assert any("still 'queued'" in v["message"] for v in result.violations)
    cancels = [(path, status) for path, status in session.cleaned if "/runs/" in path]
    assert len(cancels) == 1 and cancels[0][1] == 200
    assert store_counts(session.app, ("thread", "thread.run")) == {"thread": 0, "thread.run": 0}
