"""Negative requests: one named constraint broken, and the validator agrees on which."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from conformance import strategies
from conformance.spec import Spec
from tests.spec_paths import SHARED_SPECS

FAST = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _labels(generator: strategies.Generator, op_id: str) -> set[str]:
    return {m.label for m in generator.mutations(op_id)}


@pytest.mark.parametrize(
    ("op_id", "expected"),
    [
        (
            "createChatCompletion",
            {
                "required: model",
                "required: messages",
                "type: temperature",
                "maximum: temperature",
                "malformed JSON",
                "content-type",
                "required: body",
            },
        ),
        ("listMessages", {"path id shape: thread_id", "enum: order", "type: limit"}),
        ("createFile", {"required: file", "required: purpose", "enum: purpose", "content-type"}),
    ],
)
def test_the_issue_s_kinds_of_negative(
    generator: strategies.Generator, op_id: str, expected: set[str]
) -> None:
    assert expected <= _labels(generator, op_id)


def test_bounds_and_sizes_somewhere(spec: Spec, generator: strategies.Generator) -> None:
    labels = {m.label.split(": ")[0] for op in spec.operations for m in generator.mutations(op)}
    assert {
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "minimum",
        "maximum",
        "additionalProperties",
    } <= labels


@pytest.mark.parametrize(
    "op_id",
    [
        "createChatCompletion",
        "createAssistant",
        "listMessages",
        "createFile",
        "createImageEdit",
        "createVectorStore",
        "createBatch",
        "createEmbedding",
        "list-audit-logs",
    ],
)
def test_every_mutation_of_a_positive_request_breaks_its_label(
    spec: Spec, generator: strategies.Generator, op_id: str
) -> None:
    # Stronger than sampling the negative strategy: apply every mutation, not one that happened to work.
    op = spec.operation(op_id)
    mutations = generator.mutations(op)

    @settings(
        max_examples=5,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(generator.positive(op))
    def run(request: strategies.Request) -> None:
        for mutation in mutations:
            mutated = mutation.apply(request)
            if mutated is not None:
                violations = generator.validator.validate(op, mutated)
                assert strategies.explains(violations, mutation.label), (mutation.label, violations)

    run()


def test_negative_requests_state_their_reason(spec: Spec) -> None:
    @FAST
    @given(strategies.requests("listMessages", mode="negative", spec=spec))
    def run(request: strategies.Request) -> None:
        assert request.mode == "negative"
        assert request.describe().endswith(f"(breaks {request.breaks})")
        if request.breaks == "maximum: limit":
            assert int(request.query["limit"]) > 100
        if request.breaks == "path id shape: thread_id":
            assert not request.path_params["thread_id"].startswith("thread_")

    run()


def test_malformed_json_does_not_parse(spec: Spec, generator: strategies.Generator) -> None:
    op = spec.operation("createChatCompletion")
    (mutation,) = [m for m in generator.mutations(op) if m.label == "malformed JSON"]

    @FAST
    @given(generator.positive(op))
    def run(request: strategies.Request) -> None:
        mutated = mutation.apply(request)
        with pytest.raises(ValueError):
            json.loads(mutated.content)
        assert mutated.media_type == "application/json"

    run()


def test_an_operation_without_inputs_has_no_negative(spec: Spec, generator: strategies.Generator) -> None:
    op = spec.operation("listModels")
    assert not generator.breakable(op)
    assert strategies.requests(op, mode="negative", spec=spec).is_empty


def test_unknown_mode_is_an_error(spec: Spec) -> None:
    with pytest.raises(ValueError, match="mode"):
        strategies.requests("listModels", mode="sideways", spec=spec)  # type: ignore[arg-type]


@pytest.mark.skipif(not SHARED_SPECS.is_dir(), reason=f"{SHARED_SPECS} is absent")
def test_a_form_body_gets_no_empty_array_negative() -> None:
    """An empty array is no field at all in a multipart form: the server sees the field absent and may
    rightly answer 200 (createTranscription's `languages` has minItems 1 in the f85dbe2 spec)."""
    from conformance.spec import load
    from conformance.strategies.negative import mutations

    spec = load(str(SHARED_SPECS / "openai-openapi-f85dbe2.json"))
    labels = [
        m.label
        for m in mutations(strategies.generator_for(spec).validator, spec.operation("createTranscription"))
    ]
    assert (
        "type: languages" in labels
        or "maxItems: languages" in labels
        or any("languages" in x for x in labels)
    )
    assert "minItems: languages" not in labels
