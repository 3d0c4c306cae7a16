"""The scenarios registry: named multi-step scenarios run as `test_scenarios[<name>]`.

A scenario is a function `(session, phase_state) -> None` that sends requests with
`session.exercise(request, operation, phase_state)` (so they are judged and reported like any other)
and may add its own findings. Register one with `@scenario("name", operation_id)`; the operation it
is filed under decides its row in the reports and whether include/exclude/shard select it.

The runner only reads this table. `conformance.scenarios` fills it with the built-in scenarios when
imported (the suite module imports it), so the runner never imports the layer built on top of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Scenario = Callable[[Any, Any], None]
SCENARIOS: dict[str, tuple[str, Scenario]] = {}  # name -> (operation id, function), in registration order


def scenario(name: str, operation_id: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[name] = (operation_id, function)
        return function

    return register


def registered() -> dict[str, tuple[str, Scenario]]:
    return SCENARIOS
