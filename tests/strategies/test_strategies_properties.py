"""Acceptance properties over every operation: positives validate, negatives fail for their label.

Run with OPENAI_CONFORMANCE_STRATEGY_DRAWS=200 for the full sweep (0 invalid in 200 draws per
operation); the default run draws a few requests per operation of every spec.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from conformance import strategies
from conformance.spec import Operation, Spec, load

REFERENCE_SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
# Draws per operation. The default keeps the suite fast; the nightly runs the acceptance sweep with
# OPENAI_CONFORMANCE_STRATEGY_DRAWS=200 (or: python benchmarks/strategies.py --every 1 --sweep).
DRAWS = int(os.environ.get("OPENAI_CONFORMANCE_STRATEGY_DRAWS", "0") or 0)


def reference_spec_paths() -> list[Path]:
    if not REFERENCE_SPECS.is_dir():
        return []
    return sorted(p for p in REFERENCE_SPECS.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def _sweep_settings(draws: int) -> settings:
    return settings(
        max_examples=draws,
        phases=[Phase.explicit, Phase.generate],
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _check_positive(generator: strategies.Generator, op: Operation, draws: int) -> None:
    strategy = generator.positive(op)

    @_sweep_settings(draws)
    @given(strategy)
    def run(request: strategies.Request) -> None:
        assert request.mode == "positive" and request.breaks is None
        assert not {k.lower() for k in request.headers} & {"authorization", "api-key"}
        violations = generator.validator.validate(op, request)
        assert not violations, f"{request.describe()}: {violations[:3]}"

    run()


def _check_negative(generator: strategies.Generator, op: Operation, draws: int, seen: Counter) -> None:
    strategy = generator.negative(op)

    @_sweep_settings(draws)
    @given(strategy)
    def run(request: strategies.Request) -> None:
        assert request.mode == "negative" and request.breaks
        violations = generator.validator.validate(op, request)
        assert violations, f"accidentally valid: {request.describe()}"
        assert strategies.explains(violations, request.breaks), f"{request.describe()}: {violations[:3]}"
        seen[request.breaks.split(": ")[0]] += 1

    run()


def _sweep(spec: Spec, draws: int) -> tuple[list[str], Counter]:
    generator = strategies.generator_for(spec)
    failures: list[str] = []
    seen: Counter = Counter()
    for op in spec.operations:
        for check in ("positive", "negative"):
            if check == "negative" and not generator.breakable(op):
                continue
            try:
                if check == "positive":
                    _check_positive(generator, op, draws)
                else:
                    _check_negative(generator, op, draws, seen)
            except Exception as exc:  # collect every failing operation, not just the first
                failures.append(f"{check} {op.id}: {type(exc).__name__}: {str(exc)[:300]}")
    return failures, seen


def test_every_operation_of_the_default_spec(spec: Spec) -> None:
    failures, seen = _sweep(spec, DRAWS or 2)
    assert not failures, "\n".join(failures)
    # A few draws per operation already cover many kinds of constraint (every kind is checked
    # statically in test_strategies_negative.py).
    assert len(seen) >= 6, dict(seen)


@pytest.mark.parametrize("path", reference_spec_paths(), ids=lambda p: p.name)
def test_every_operation_of_a_reference_spec(path) -> None:
    failures, _ = _sweep(load(str(path)), DRAWS or 1)
    assert not failures, "\n".join(failures)


def test_reference_specs_present_or_skipped() -> None:
    if not reference_spec_paths():
        pytest.skip("../shared/specs is absent")
    assert len(reference_spec_paths()) >= 3


def test_only_operations_without_inputs_have_no_negative(spec: Spec, generator: strategies.Generator) -> None:
    for op in spec.operations:
        if not generator.breakable(op):
            inputs = [
                p for p in op.parameters if p.location != "path" or strategies.kind_for(p.name, op.path)
            ]
            constrained = [p for p in inputs if p.required or p.schema.get("enum") or p.schema.get("maximum")]
            assert not op.request_bodies and not constrained, op.id
