"""Helpers the tests of tests/detection share; fixtures live in conftest.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.emulator import create_app
from conformance.emulator.fault_middleware import Fault, request_clock
from conformance.runner.config import RunConfig
from conformance.runner.session import Session
from conformance.spec import Spec

# Phases in the order the shipped suite runs them (every operation's examples, then positive, ...).
ORDER = ("examples", "positive", "negative", "stateful", "scenarios")


MAX_EXAMPLES = 10


@dataclass
class Detection:
    violations: list[dict[str, Any]]  # error-severity violations as the results store them
    requests: int

    @property
    def checks(self) -> set[str]:
        return {v["check"] for v in self.violations}


def detect(spec: Spec, faults: list[str], item: Fault, examples: int = MAX_EXAMPLES) -> Detection:
    """Run the suite's phases that expose `item` on its operations, against the in-process emulator
    broken by `faults` (none: the clean emulator, run the same way)."""
    app = create_app(spec, faults=faults)
    request_clock(app)  # distinct created_at per request, as on a real server
    session = Session(RunConfig(include=list(item.operations), max_examples=examples), spec, app=app)
    try:
        for phase in ORDER:
            if phase == "scenarios":
                for name in item.scenarios if phase in item.phases else ():
                    session.run(name, phase)
                continue
            if phase != "examples" and phase not in item.phases:
                continue
            for operation_id in item.operations:
                if phase == "stateful" and operation_id not in session.families():
                    continue
                session.run(operation_id, phase)
    finally:
        session.close()
    found = [
        violation
        for result in session.results.operations
        for violation in result.new_violations()
        if violation["severity"] == "error"
    ]
    return Detection(found, session.target.requests_sent)
