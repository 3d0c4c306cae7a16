"""Polling settings: defaults per target, environment overrides, and a bad value as one clear error."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from conformance.errors import ConformanceError
from conformance.results import OperationResult
from conformance.runner import progress
from conformance.runner.config import RunConfig
from conformance.runner.session import PhaseState
from conformance.runner.stateless import evidence_of
from conformance.scenarios.flow import Abort, Flow, Polling, Skip, clock_of, polling_for


def phase_for(session, operation_id: str) -> PhaseState:
    operation = session.spec.by_id[operation_id]
    return PhaseState(OperationResult.for_operation(operation, "scenarios"))


def session(target: str = "emulator", polling: Polling | None = None) -> SimpleNamespace:
    return SimpleNamespace(config=RunConfig(target=target), polling=polling)


def test_defaults_wait_less_on_the_emulator(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_CONFORMANCE_POLL_INTERVAL", raising=False)
    monkeypatch.delenv("OPENAI_CONFORMANCE_POLL_TIMEOUT", raising=False)
    assert polling_for(session()).interval < polling_for(session("https://api.example.com/v1")).interval


def test_environment_overrides_and_explicit_settings_win(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_CONFORMANCE_POLL_INTERVAL", "2.5")
    monkeypatch.setenv("OPENAI_CONFORMANCE_POLL_TIMEOUT", "90")
    chosen = polling_for(session("https://api.example.com/v1"))
    assert (chosen.interval, chosen.timeout) == (2.5, 90.0)
    mine = Polling(interval=0.1)
    assert polling_for(session(polling=mine)) is mine


def test_a_bad_value_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_CONFORMANCE_POLL_TIMEOUT", "soon")
    with pytest.raises(ConformanceError, match="OPENAI_CONFORMANCE_POLL_TIMEOUT"):
        polling_for(session())


QUEUED = {
    "id": "run_abc123",
    "object": "thread.run",
    "created_at": 1699063290,
    "thread_id": "thread_abc123",
    "assistant_id": "asst_abc123",
    "status": "queued",
}


async def stateless(scope, receive, send) -> None:
    """A mock answering its example: the same queued run for any run id, whatever happened before."""
    if scope["type"] != "http":
        return
    found = scope["method"] == "GET" and scope["path"].startswith("/v1/threads/")
    body = json.dumps(QUEUED if found else {"error": {"message": "no", "type": "invalid_request_error"}})
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200 if found else 404, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


def slow(**changes) -> Polling:
    return Polling(interval=0.02, timeout=20.0, max_polls=1000, backoff=1.0, max_interval=0.02, **changes)


def test_a_target_that_keeps_no_state_is_told_within_a_few_reads(make_session, openai_spec) -> None:
    session = make_session(stateless, polling=slow())
    params = {"thread_id": "thread_abc123", "run_id": "run_abc123"}
    flow = Flow(session, phase_for(session, "getRun"), cost=10)
    with pytest.raises(Skip, match="keeps no state.*run_abc123.*never created") as stopped:
        flow.poll("getRun", params)
    assert flow.polls["run_abc123"] == 3  # three identical reads, then one probe
    assert session.target.requests_sent == 4
    # every later poll of the run is skipped at once, with the same reason
    with pytest.raises(Skip, match="keeps no state"):
        Flow(session, phase_for(session, "getRun"), cost=10).poll("getRun", params)
    assert session.target.requests_sent == 4 and str(stopped.value)


def test_a_long_wait_beats_and_the_run_stops_polling_at_its_ceiling(make_session, monkeypatch) -> None:
    heard: list[str] = []
    progress.push_writer(heard.append)
    try:
        session = make_session(run_delay=3600, polling=slow(heartbeat=0.1, ceiling=0.6))
        flow = Flow(session, phase_for(session, "getRun"), cost=20)
        assistant = flow.call("createAssistant", body={"model": "gpt-4o"}, created=True).response.json()
        thread = flow.call("createThread", body={}, created=True).response.json()
        run = flow.call(
            "createRun", {"thread_id": thread["id"]}, body={"assistant_id": assistant["id"]}, created=True
        ).response.json()
        params = {"thread_id": thread["id"], "run_id": run["id"]}
        with pytest.raises(Skip, match="ceiling of 1 s"):
            flow.poll("getRun", params)
        # the emulator keeps state: the probe of an unknown id got 404, so polling went on
        assert evidence_of(session).reason is None and clock_of(session).spent >= 0.6
        assert heard and all(f"waiting for thread.run {run['id']}: status 'queued'" in line for line in heard)
        with pytest.raises(Skip, match="ceiling"):  # the ceiling is the run's, not the poll's
            flow.poll("getRun", params)
        flow.cleanup()
    finally:
        progress.pop_writer()


def _queued_run(flow: Flow) -> dict[str, str]:
    assistant = flow.call("createAssistant", body={"model": "gpt-4o"}, created=True).response.json()
    thread = flow.call("createThread", body={}, created=True).response.json()
    run = flow.call(
        "createRun", {"thread_id": thread["id"]}, body={"assistant_id": assistant["id"]}, created=True
    ).response.json()
    return {"thread_id": thread["id"], "run_id": run["id"]}


def test_a_run_that_never_leaves_queued_is_one_finding_and_later_waits_are_skipped(make_session) -> None:
    """A stateful target whose runs stay queued (openai-responses): the first wait ends after the
    stall time with one lifecycle.workflow finding on a test server; a later wait for another queued
    run of the same run is skipped after one read instead of waiting again."""
    heard: list[str] = []
    progress.push_writer(heard.append)
    try:
        session = make_session(run_delay=3600, polling=slow(stall=0.3))
        phase = phase_for(session, "getRun")
        flow = Flow(session, phase, cost=20)
        params = _queued_run(flow)
        with pytest.raises(
            Abort, match=r"stayed 'queued' for \d+ s \(\d+ reads\): the target does not progress"
        ):
            flow.poll("getRun", params)
        found = [(v.check, v.got) for v in phase.violations if not v.known_deviation]
        assert found == [("lifecycle.workflow", "queued")]
        assert evidence_of(session).reason is None  # the probe of an unknown id got 404
        assert any("later waits for a 'queued' thread.run are skipped" in line for line in heard)
        later = Flow(session, phase_for(session, "getRun"), cost=20)
        again = _queued_run(later)
        sent = session.target.requests_sent
        started = time.monotonic()
        with pytest.raises(
            Skip, match=rf"{again['run_id']} is 'queued' too, and thread.run {params['run_id']} stayed"
        ):
            later.poll("getRun", again)
        assert session.target.requests_sent == sent + 1 and time.monotonic() - started < 0.3
        flow.cleanup()
        later.cleanup()
    finally:
        progress.pop_writer()


def test_on_a_real_account_a_stalled_wait_is_skipped_with_the_reason(make_session) -> None:
    """A real account may queue a run for capacity the run cannot see: no finding, the reason."""
    session = make_session(run_delay=3600, polling=slow(stall=0.2), target_kind="real-account")
    phase = phase_for(session, "getRun")
    flow = Flow(session, phase, cost=20)
    params = _queued_run(flow)
    with pytest.raises(Skip, match="stayed 'queued'.*on a real account it may be waiting for capacity"):
        flow.poll("getRun", params)
    assert [v.check for v in phase.violations if not v.known_deviation] == []
    flow.cleanup()


def test_the_stall_time_defaults_by_target_kind_and_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_CONFORMANCE_POLL_STALL", raising=False)
    assert polling_for(session("http://127.0.0.1:8000/v1")).stall == 60.0
    assert polling_for(session("https://api.openai.com/v1")).stall == 300.0
    monkeypatch.setenv("OPENAI_CONFORMANCE_POLL_STALL", "5")
    assert polling_for(session("https://api.openai.com/v1")).stall == 5.0
