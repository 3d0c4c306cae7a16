"""The cost clamp never makes a valid request invalid: every cap stays inside the spec's bounds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import strategies
from conformance.runner.safety import COUNTS, TOKEN_CAP, TOKEN_LIMITS, body_properties, bounds, clamp
from conformance.spec import load

SPEC = load()
CLAMPED = sorted(
    op.id
    for op in SPEC.operations
    if op.method == "POST" and set(body_properties(SPEC, op, "application/json")) & {*TOKEN_LIMITS, *COUNTS}
)


def test_the_clamp_touches_the_generation_operations() -> None:
    assert {"createRun", "createThreadAndRun", "createChatCompletion", "createResponse"} <= set(CLAMPED)
    # the reason this test exists: a cap of 32 is below createRun's declared minimum
    props = body_properties(SPEC, SPEC.operation("createRun"), "application/json")
    low, _ = bounds(SPEC, props["max_completion_tokens"])
    assert low is not None and low > TOKEN_CAP


@pytest.mark.parametrize("operation_id", CLAMPED)
def test_clamped_positive_requests_stay_valid(operation_id: str) -> None:
    op = SPEC.operation(operation_id)
    checked = []

    @settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategies.requests(op, "positive", spec=SPEC))
    def check(request) -> None:
        if strategies.validate(op, request, SPEC):
            return  # the generator's own miss is not the clamp's (and is tested in tests/strategies)
        clamped = clamp(request, SPEC, op)
        assert strategies.validate(op, clamped, SPEC) == [], (request.body, clamped.body)
        checked.append(clamped)

    check()
    for example in strategies.examples(op, SPEC):
        clamped = clamp(example, SPEC, op)
        assert strategies.validate(op, clamped, SPEC) == [], clamped.body
        checked.append(clamped)
    assert checked, f"no valid request of {operation_id} was checked"
