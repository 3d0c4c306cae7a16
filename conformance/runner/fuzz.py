"""`fuzz`: keep generating until the time is up; group failures by signature; keep each one's shrunk example.

Each round walks the selected operations in positive and negative mode with a fresh seed. When an
exchange breaks a check with a signature (check, operation, status, error path) not seen before, the
Hypothesis test fails, Hypothesis shrinks the request to a minimal one and saves it in the example
database under the report folder, so the next `fuzz` (or `run` with the same folder) tries it first.
Repeats of a known signature are counted, not shrunk again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Unsatisfiable

from conformance.checks.model import ViolationRecord
from conformance.checks.signature import Signature
from conformance.results import Auth, OperationResult, reproduction
from conformance.runner.config import RunConfig
from conformance.runner.session import PhaseState, Session, _Stop

MODES: tuple[Literal["positive", "negative"], ...] = ("positive", "negative")
MIN_EXAMPLES_PER_ROUND = 20


class Found(Exception):
    """A violation with a new signature: fail the Hypothesis test so it shrinks the request."""

    def __init__(self, violation: Any) -> None:
        super().__init__(violation.message)
        self.violation = violation


@dataclass
class Group:
    signature: Signature
    violation: ViolationRecord  # the minimal example's violation, with its request and reproduction
    count: int = 1
    operations: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": list(self.signature),
            "count": self.count,
            "check": self.violation.get("check"),
            "operation_id": self.violation.get("operation_id"),
            "status": self.violation.get("status"),
            "path": self.violation.get("path"),
            "message": self.violation.get("message"),
            "minimal": self.violation,
        }


@dataclass
class FuzzReport:
    groups: dict[tuple[str, ...], Group] = field(default_factory=dict)
    rounds: int = 0
    examples: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # operations whose generation or run crashed

    def sorted(self) -> list[Group]:
        return sorted(self.groups.values(), key=lambda g: (-g.count, g.signature))


def database_path(report_dir: Path) -> Path:
    return report_dir / "hypothesis"


def open_session(config: RunConfig, **kwargs: Any) -> Session:
    """A Session that shrinks failures and keeps its examples under `<report dir>/hypothesis`."""
    folder = database_path(config.report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return Session(config, database=DirectoryBasedExampleDatabase(str(folder)), shrink=True, **kwargs)


def fuzz(session: Session, max_time: float, *, rng: random.Random | None = None) -> FuzzReport:
    """Fuzz until `max_time` seconds have passed (or the budget is spent); returns the failure groups."""
    rng = rng or random.Random(session.config.seed)
    report = FuzzReport()
    started = time.monotonic()
    deadline = started + max_time
    targets = [s.operation for s in session.selection if s.skip is None]
    per_round = max(session.config.max_examples, MIN_EXAMPLES_PER_ROUND)
    while time.monotonic() < deadline and session.stopped is None and targets:
        report.rounds += 1
        for operation in rng.sample(targets, len(targets)):
            for mode in MODES:
                if time.monotonic() >= deadline or session.stopped is not None:
                    break
                _fuzz_one(session, operation, mode, report, deadline, per_round)
    report.seconds = time.monotonic() - started
    return report


def _fuzz_one(
    session: Session,
    operation: Any,
    mode: Literal["positive", "negative"],
    report: FuzzReport,
    deadline: float,
    examples: int,
) -> None:
    strategy = session.requests(operation, mode)
    if strategy is None:
        return
    phase = PhaseState(OperationResult.for_operation(operation, mode))

    calls, shrinking = [0], [False]

    def body(request: Any) -> None:
        # Stop at the deadline, but after one example (set-up may be slow) and never inside a shrink.
        if calls[0] and not shrinking[0] and time.monotonic() >= deadline:
            raise _Stop()
        calls[0] += 1
        report.examples += 1
        session._one(request, operation, phase)
        for violation in phase.last:
            signature = tuple(violation.signature())
            group = report.groups.get(signature)
            if group is None:
                shrinking[0] = True
                raise Found(violation)
            group.count += 1

    config = session.config
    try:
        # Only the first round replays the database: a later round would delete the examples it saved.
        key, reuse = f"{operation.id}:{mode}", report.rounds == 1
        session.given(strategy, body, max_examples=examples, key=key, reuse=reuse)
    except Found as found:
        data = found.violation.to_dict()
        if isinstance(data.get("request"), dict):
            data["reproduction"] = reproduction(
                data["request"],
                None if config.is_emulator else session.target.base_url,
                Auth(config.auth_header, config.api_key_env),
            )
        signature = tuple(found.violation.signature())
        report.groups.setdefault(signature, Group(signature, data, 0)).count += 1
    except (_Stop, Unsatisfiable):
        pass
    except Exception as exc:  # noqa: BLE001 - one operation's generator failing must not end the fuzzing
        report.errors.append(f"{operation.id} ({mode}): {type(exc).__name__}: {exc}")
