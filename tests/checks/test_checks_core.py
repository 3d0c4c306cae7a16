"""The registry, Violation, run_checks, the validator cache and the `checks` command."""

from __future__ import annotations

import json

import pytest

from conformance import cli
from conformance.checks import (
    CHECKS,
    CheckConfig,
    Finding,
    Violation,
    check,
    run_checks,
    select,
    validate,
)
from conformance.checks.context import match_operation
from conformance.errors import ConformanceError
from conformance.reports.groups import signature as group_signature
from tests.checks import check_bodies as b

ISSUE_CHECKS = {
    "response.schema",
    "transport",
    "response.content_type",
    "response.status",
    "response.headers",
    "error.envelope",
    "negative.rejected",
    "positive.accepted",
    "positive.null_accepted",
    "auth.required",
    "server.error",
    "pagination.page",
    "pagination.traversal",
    "object.invariants",
    "sse.stream",
}


def test_every_check_of_the_issue_is_registered_with_metadata():
    from conformance.checks.lifecycle import LIFECYCLE_CHECKS

    assert set(CHECKS) == ISSUE_CHECKS | set(LIFECYCLE_CHECKS)
    for rule in CHECKS.values():
        assert rule.severity in ("error", "warning") and rule.description and "\n" not in rule.description


def test_registry_rejects_duplicates_and_bad_metadata():
    with pytest.raises(ValueError):
        check("response.schema", family="schema", description="again")(lambda ctx, ex: None)
    with pytest.raises(ValueError):
        check("x.y", severity="fatal", family="schema", description="d")
    with pytest.raises(ValueError):
        check("x.y", family="astrology", description="d")


def test_select_by_id_or_family():
    assert {c.id for c in select(["pagination"])} == {"pagination.page", "pagination.traversal"}
    assert [c.id for c in select(["server.error"])] == ["server.error"]
    with pytest.raises(ConformanceError):
        select(["no.such.check"])
    with pytest.raises(ValueError):
        CheckConfig(error_types="sometimes")


def test_violation_dict_and_signature(openai_spec):
    exchange = b.exchange("GET", "/models", 503, {"oops": True}, operation_id="listModels")
    violations = run_checks(exchange, openai_spec)
    assert {v.check for v in violations} == {"error.envelope", "server.error"}
    data = violations[0].to_dict()
    json.dumps(data)  # serialisable
    assert data["request"]["method"] == "GET" and data["status"] == 503
    assert data["signature"] == list(violations[0].signature())
    v = Violation("c", "error", "schema", "op", "3 items for asst_abc123", path="$.data[12].items[3].id")
    assert v.signature() == ("c", "op", "$.data[*].items[*].id", "N items for {id}")
    # the violation and the reports group by the same signature
    assert v.signature() == group_signature(v.to_dict())


def test_errors_sort_before_warnings(openai_spec):
    body = b.assistant(id="thing", created_at=b.NOW * 1000)
    exchange = b.exchange("GET", "/assistants/thing", 200, body, operation_id="getAssistant")
    severities = [v.severity for v in run_checks(exchange, openai_spec)]
    assert severities == sorted(severities, key=lambda s: s != "error") and set(severities) == {
        "error",
        "warning",
    }


def test_validators_compile_once_and_are_shared(openai_spec):
    cache = openai_spec.validators
    assert openai_spec.validators is cache
    op = openai_spec.operation("getAssistant")
    first = cache.for_response(op, "200", "application/json")
    before = cache.compiled
    assert cache.for_response(op, "200", "application/json") is first
    assert cache.compiled == before
    assert cache.for_response(op, "200", "text/plain") is None


def test_validate_any_schema_node_with_refs(openai_spec):
    ref = {"$ref": "#/components/schemas/AssistantObject"}
    assert validate(openai_spec, ref, b.assistant()) == []
    (error,) = validate(openai_spec, ref, b.assistant(tools="none"))
    assert error.path == "$.tools"
    inline = openai_spec.operation("createTranscription").responses["200"].content["application/json"]
    assert validate(openai_spec, inline, {"text": "hello"}) == []
    assert validate(openai_spec, inline, {"words": 3}) != []
    wrapped = {"type": "object", "properties": {"error": {"$ref": "#/components/schemas/Error"}}}
    assert [e.path for e in validate(openai_spec, wrapped, {"error": {"message": 1}})] != []


def test_operations_are_matched_by_path(openai_spec):
    assert match_operation(openai_spec, "GET", "/assistants/asst_1").id == "getAssistant"
    assert match_operation(openai_spec, "GET", "/v1/threads/t/runs/r/steps").id == "listRunSteps"
    assert match_operation(openai_spec, "POST", "/threads/runs").id == "createThreadAndRun"
    assert match_operation(openai_spec, "GET", "/nowhere") is None


def test_a_custom_check_reports_through_the_registry(openai_spec):
    @check("test.custom", severity="warning", family="http", description="a check registered by a test")
    def custom(ctx, exchange):
        yield Finding("custom finding", expected="x", got={"long": "y" * 500}, path="$.a")

    try:
        exchange = b.exchange(
            "GET", "/models", 200, {"object": "list", "data": []}, operation_id="listModels"
        )
        (v,) = run_checks(exchange, openai_spec, checks=["test.custom"])
        assert (v.check, v.severity, v.family, v.path) == ("test.custom", "warning", "http", "$.a")
        assert len(v.got) <= 200 and v.got.endswith("…")
    finally:
        del CHECKS["test.custom"]


def test_checks_command_lists_the_catalogue(capsys):
    assert cli.main(["checks"]) == 0
    out = capsys.readouterr().out
    assert all(check_id in out for check_id in ISSUE_CHECKS)
    assert cli.main(["checks", "--json", "--family", "errors"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["id"] for d in data} == {
        "auth.required",
        "error.envelope",
        "negative.rejected",
        "positive.accepted",
        "positive.null_accepted",
        "server.error",
    }
    assert all(set(d) == {"id", "severity", "family", "description"} for d in data)


def test_checks_command_unknown_id_is_one_line_and_exit_2(capsys):
    assert cli.main(["checks", "response.nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "response.nope" in err


def test_union_failures_report_the_branch_that_matched_its_tag(openai_spec):
    event = b.response_events()[-1]
    event["response"]["output"][0]["content"][0]["annotations"] = 5
    (error,) = validate(openai_spec, {"$ref": "#/components/schemas/ResponseCompletedEvent"}, event)
    assert error.path == "$.response.output[0].content[0].annotations"
    assert error.message == '5 is not of type "array"'
    assert error.schema_path == "/components/schemas/OutputTextContent/properties/annotations/type"
    event["response"]["output"][0]["type"] = "nonsense"  # no branch fits: the union itself is reported
    (error,) = validate(openai_spec, {"$ref": "#/components/schemas/ResponseCompletedEvent"}, event)
    assert error.path == "$.response.output[0]" and error.schema_path.endswith("/oneOf")


def test_transport_failures_have_nothing_to_judge(openai_spec):
    exchange = b.exchange("GET", "/models", 0, content_type=None, operation_id="listModels")
    assert run_checks(exchange, openai_spec) == []
    with pytest.raises(ConformanceError):
        run_checks(exchange, openai_spec, checks=["bogus"])


def test_a_crashing_check_is_one_warning_not_a_crashed_run(openai_spec):
    @check("test.crash", family="http", description="a check that always fails")
    def crash(ctx, exchange):
        raise RuntimeError("schema cannot compile\nsecond line")

    try:
        exchange = b.exchange(
            "GET", "/models", 200, {"object": "list", "data": []}, operation_id="listModels"
        )
        (v,) = run_checks(exchange, openai_spec, checks=["test.crash"])
        assert v.severity == "warning" and "RuntimeError: schema cannot compile second line" in v.message
    finally:
        del CHECKS["test.crash"]
