"""The cost clamp never makes a valid request invalid: every cap stays inside the spec's bounds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import strategies
from conformance.exchange import Request
from conformance.runner.safety import (
    COUNTS,
    TAG_KEY,
    TOKEN_CAP,
    TOKEN_LIMITS,
    body_properties,
    bounds,
    clamp,
    tag,
)
from conformance.spec import load
from tests.spec_paths import SPLIT

SPEC = load()
JSON = "application/json"
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


def test_the_run_tag_keeps_metadata_within_its_max_properties() -> None:
    """A spec whose metadata allows 4 keys: a full metadata gives one key up for the tag, so the
    tagged request stays valid (split fixture: Widget metadata has maxProperties 4)."""
    spec = load(str(SPLIT), use_cache=False)
    op = spec.operation("createWidget")
    full = {f"k{i}": "v" for i in range(4)}
    request = Request(
        "POST", "/widgets", op.id, op.path, body={"name": "n", "metadata": full}, media_type=JSON
    )
    assert strategies.validate(op, request, spec) == []
    tagged = tag(request, spec, op, "run-1")
    assert len(tagged.body["metadata"]) == 4 and tagged.body["metadata"][TAG_KEY] == "run-1"
    assert strategies.validate(op, tagged, spec) == []
    # the official spec's 16-key metadata is still capped at 16
    thread = SPEC.operation("createThread")
    sixteen = {f"k{i}": "v" for i in range(16)}
    tagged = tag(
        Request("POST", "/threads", thread.id, thread.path, body={"metadata": sixteen}, media_type=JSON),
        SPEC,
        thread,
        "r",
    )
    assert len(tagged.body["metadata"]) == 16 and strategies.validate(thread, tagged, SPEC) == []


NULL_LIMITS = [
    op_id
    for op_id in CLAMPED
    if {p[0] for p in strategies.generator_for(SPEC).nullable(op_id) if len(p) == 1} & set(TOKEN_LIMITS)
]


@pytest.mark.parametrize("operation_id", NULL_LIMITS)
def test_an_explicit_null_token_limit_is_capped_and_stays_valid(operation_id: str) -> None:
    """A null token limit means no limit: on a real account the clamp caps it (within the spec's
    bounds), so the explicit-null request of the positive phase costs no more than any other."""
    op = SPEC.operation(operation_id)
    checked = []

    @settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategies.requests(op, "nulls", spec=SPEC))
    def check(request) -> None:
        if not set(request.nulls) & set(TOKEN_LIMITS):
            return
        clamped = clamp(request, SPEC, op)
        limits = [clamped.body[name] for name in TOKEN_LIMITS if isinstance(clamped.body.get(name), int)]
        assert limits and all(v <= max(TOKEN_CAP, 256) for v in limits), clamped.body
        assert strategies.validate(op, clamped, SPEC) == [], clamped.body
        checked.append(clamped)

    check()
    assert checked, f"no request of {operation_id} with a null token limit was drawn"


def test_null_token_limit_operations_include_the_generation_operations() -> None:
    assert {"createChatCompletion", "createRun", "createResponse", "createCompletion"} <= set(NULL_LIMITS)
