"""One test per phase, parametrized per operation by `conformance.runner.plugin`."""

from __future__ import annotations

from typing import Any

import conformance.scenarios  # noqa: F401  (registers the built-in scenarios)


def test_examples(conformance_phase: Any, operation_id: str) -> None:
    """The spec's own examples (`x-oaiMeta`), sent as they are, judged by every check."""
    conformance_phase(operation_id, "examples")


def test_positive(conformance_phase: Any, operation_id: str) -> None:
    """Valid generated requests: every response must match the spec and the unwritten contracts."""
    conformance_phase(operation_id, "positive")


def test_negative(conformance_phase: Any, operation_id: str) -> None:
    """Requests that break one constraint: the target must reject them with a 4xx error envelope."""
    conformance_phase(operation_id, "negative")


def test_stateful(conformance_phase: Any, operation_id: str) -> None:
    """create -> retrieve -> list -> modify -> delete -> retrieve, for each resource the spec can create."""
    conformance_phase(operation_id, "stateful")


def test_scenarios(conformance_phase: Any, operation_id: str) -> None:
    """Multi-step scenarios (`conformance.scenarios` registers the built-in ones)."""
    conformance_phase(operation_id, "scenarios")
