"""The "nulls" strategy: valid requests that set every body property the spec lets be null to null."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from conformance import strategies
from conformance.spec import load
from conformance.strategies.nulls import allows_null


def _draws(op, spec, n=3, mode="nulls"):
    drawn = []

    @settings(max_examples=n, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategies.requests(op, mode, spec=spec))
    def collect(request) -> None:
        drawn.append(request)

    collect()
    return drawn


@pytest.mark.parametrize(
    "operation_id, expected",
    [
        (
            "createAssistant",
            {"name", "description", "instructions", "temperature", "top_p", "response_format"},
        ),
        ("modifyAssistant", {"name", "description", "instructions", "temperature", "tool_resources"}),
        ("createChatCompletion", {"temperature", "top_p", "n", "stop", "seed", "max_completion_tokens"}),
    ],
)
def test_nullable_properties_of_real_operations_are_sent_as_null(spec, generator, operation_id, expected):
    op = spec.operation(operation_id)
    assert expected <= {".".join(p) for p in generator.nullable(op)}
    for request in _draws(op, spec):
        assert expected <= set(request.nulls), request.nulls
        for name in request.nulls:
            *parents, leaf = name.split(".")
            node = request.body
            for key in parents:
                node = node[key]
            assert leaf in node and node[leaf] is None
        assert strategies.validate(op, request, spec, id_shapes=False) == []
        assert request.mode == "positive" and request.media_type == "application/json"


def test_a_property_that_cannot_be_null_is_never_nulled(spec, generator):
    op = spec.operation("createChatCompletion")
    nullable = {".".join(p) for p in generator.nullable(op)}
    assert "model" not in nullable and "messages" not in nullable
    for request in _draws(op, spec, 2):
        assert request.body["model"] is not None and request.body["messages"]


def test_operations_without_a_nullable_body_property_draw_nothing(spec):
    assert strategies.requests("listModels", "nulls", spec=spec).is_empty
    assert strategies.requests("createEmbedding", "nulls", spec=spec).is_empty


WIDGETS_30 = {
    "openapi": "3.0.3",
    "info": {"title": "widgets", "version": "1"},
    "paths": {
        "/widgets": {
            "post": {
                "operationId": "createWidget",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {
                                    "size": {"type": "integer"},
                                    "label": {"type": "string", "nullable": True},  # 3.0
                                    "kind": {"type": ["string", "null"]},  # 3.1
                                    "tag": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                    "inner": {
                                        "type": "object",
                                        "required": ["note"],
                                        "properties": {"note": {"type": "string", "nullable": True}},
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


def test_every_way_a_spec_says_null_is_found(tmp_path):
    path = tmp_path / "widgets.json"
    path.write_text(json.dumps(WIDGETS_30))
    spec = load(str(path))
    gen = strategies.generator_for(spec)
    op = spec.operation("createWidget")
    assert {".".join(p) for p in gen.nullable(op)} == {"label", "kind", "tag", "inner.note"}
    props = spec.resolve(op.request_bodies["application/json"])["properties"]
    assert not allows_null(spec, props["size"]) and allows_null(spec, props["label"])
    for request in _draws(op, spec):
        assert {"label", "kind", "tag"} <= set(request.nulls)
        assert isinstance(request.body["size"], int)
        if isinstance(request.body.get("inner"), dict):  # nested: set when the body has the object
            assert "inner.note" in request.nulls and request.body["inner"]["note"] is None
    for nested in _draws(op, spec, 2, "nested-nulls"):
        assert nested.nulls == ("inner.note",) and nested.body["inner"]["note"] is None  # made when absent


def test_nested_nulls_keep_or_make_the_parent_object(spec):
    # createResponse nulls `reasoning` itself in the first request, so `reasoning.effort: null` needs its own
    op = spec.operation("createResponse")
    for request in _draws(op, spec, 2):
        assert request.body.get("reasoning") is None
    nested = _draws(op, spec, 3, "nested-nulls")
    for request in nested:
        assert {"reasoning.effort", "reasoning.summary"} <= set(request.nulls)
        assert all("." in name for name in request.nulls)  # top-level properties are the first request's
        assert request.body["reasoning"]["effort"] is None
        assert strategies.validate(op, request, spec, id_shapes=False) == []
