"""Registering scenarios with the runner's `scenarios` phase, one pytest item per scenario.

`@register("assistants-workflow", "createRun")` files the scenario under an operation (its row in
the reports, and what `--include`/`--exclude`/`--shard` select it by) and turns a `Skip` raised by
the scenario into the outcome "skipped" with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from conformance.runner.scenarios import registered, scenario
from conformance.scenarios.flow import Skip

__all__ = ["register", "registered"]
ScenarioFunction = Callable[[Any, Any], None]


def register(name: str, operation_id: str) -> Callable[[ScenarioFunction], ScenarioFunction]:
    def decorate(function: ScenarioFunction) -> ScenarioFunction:
        @wraps(function)
        def run(session: Any, phase: Any) -> None:
            try:
                function(session, phase)
            except Skip as exc:
                if phase.result.outcome == "passed":
                    phase.result.outcome, phase.result.reason = "skipped", str(exc)

        scenario(name, operation_id)(run)
        return function

    return decorate
