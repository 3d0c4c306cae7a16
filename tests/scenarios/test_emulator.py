"""Every scenario passes against the emulator, with run_delay 0 and with a delay (polling really happens)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.emulator import create_app
from conformance.runner.config import RunConfig
from conformance.runner.session import Session
from conformance.scenarios import registered
from conformance.spec import Spec
from tests.scenarios.support import FAST

# scenario -> the operation it polls
POLLED = {
    "assistants-workflow": "getRun",
    "assistants-cancel": "getRun",
    "thread-and-run": "getRun",
    "batch-flow": "retrieveBatch",
    "fine-tuning": "retrieveFineTuningJob",
    "background-response": "getResponse",
    "vector-store-files": "getVectorStoreFile",
    "vector-store-file-batch": "getVectorStoreFileBatch",
}


def _session(spec: Spec, delay: float) -> tuple[Session, list[Any]]:
    app = create_app(spec, run_delay=delay, file_delay=delay)
    session = Session(RunConfig(target="emulator", phases=["scenarios"]), spec, app=app)
    session.polling = FAST  # type: ignore[attr-defined]
    session.app = app  # type: ignore[attr-defined]
    seen: list[Any] = []
    session.listeners.append(lambda exchange, operation, violations: seen.append(exchange))
    return session, seen


@pytest.fixture(scope="module")
def instant(openai_spec: Spec) -> Iterator[tuple[Session, list[Any]]]:
    session, seen = _session(openai_spec, 0.0)
    yield session, seen
    session.close()


@pytest.fixture(scope="module")
def delayed(openai_spec: Spec) -> Iterator[tuple[Session, list[Any]]]:
    session, seen = _session(openai_spec, 0.4)  # long enough to be polled on a loaded machine
    yield session, seen
    session.close()


RAN: set[str] = set()  # the scenarios the `instant` session ran


def _explain(result: Any) -> str:
    lines = [f"{result.outcome}: {result.reason}"]
    lines += [f"{v['check']} {v['path']}: {v['message']} (got {v.get('got')})" for v in result.violations]
    return "\n".join(lines)


def test_the_suite_registers_every_scenario_with_the_runner() -> None:
    """The runner never imports the scenarios; the suite module does, so a run collects them all."""
    code = (
        "import conformance.runner.scenarios as r; before = len(r.registered()); "
        "import conformance.suite.test_conformance; "
        "print(before, ' '.join(r.registered()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    before, names = int(out[0]), out[1:]
    assert before == 0 and len(names) >= 20
    families = {name.split("-")[0] for name in names}
    assert {"assistants", "batch", "fine", "upload", "background", "vector", "pagination", "crud"} <= families


@pytest.mark.parametrize("name", list(registered()))
def test_scenario_passes_without_delay(name: str, instant: tuple[Session, list[Any]]) -> None:
    session, _ = instant
    result = session.run(name, "scenarios")
    RAN.add(name)
    assert result.outcome == "passed", _explain(result)
    assert result.requests > 0 and result.phase == "scenarios"
    assert session.resources.live() == [] or all(o.borrowed for o in session.resources.live())


@pytest.mark.parametrize("name", list(POLLED))
def test_scenario_polls_with_a_delay(name: str, delayed: tuple[Session, list[Any]]) -> None:
    session, seen = delayed
    start = len(seen)
    result = session.run(name, "scenarios")
    assert result.outcome == "passed", _explain(result)
    reads = Counter(e.request.path for e in seen[start:] if e.request.operation_id == POLLED[name])
    assert reads and max(reads.values()) > 1, f"{POLLED[name]} was read {dict(reads)} times"


DELETABLE = (
    "assistant",
    "thread",
    "thread.message",
    "file",
    "vector_store",
    "chat.completion",
    "response",
    "model",
)


def test_nothing_deletable_is_left_behind(instant: tuple[Session, list[Any]]) -> None:
    """After every scenario ran (above, same session): only kinds the API cannot delete remain
    (batches, fine-tuning jobs, uploads), and no fine-tuned model or output file a batch wrote."""
    session, _ = instant
    for name in set(registered()) - RAN:  # when this test runs on its own
        session.run(name, "scenarios")
    store = session.app.state.store
    left = {kind: len(store.list(kind, any_parent=True)) for kind in DELETABLE}
    assert left == dict.fromkeys(DELETABLE, 0)


def test_a_long_shared_list_is_still_walked_and_judged_cheaply(make_session, openai_spec: Spec) -> None:
    """120 assistants someone else made: the walks start next to the scenario's items and finish the
    rest of the list 100 at a time, so the exact-walk checks still run in a few dozen requests."""
    from conformance.exchange import Request

    session = make_session()
    create = openai_spec.operation("createAssistant")
    for _ in range(120):
        body = {"model": "gpt-4o-mini"}
        session.target.send(Request("POST", "/assistants", create.id, create.path, body=body), create)
    before = session.target.requests_sent
    result = session.run("pagination-listAssistants", "scenarios")
    assert result.outcome == "passed" and result.reason is None, _explain(result)
    assert session.target.requests_sent - before < 40
