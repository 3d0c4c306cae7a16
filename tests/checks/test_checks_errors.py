"""error.envelope, negative.rejected, positive.accepted and server.error."""

from __future__ import annotations

import pytest

from tests.checks import check_bodies as b


def envelope(judge, status, body, **config):
    exchange = b.exchange("GET", "/assistants/asst_x", status, body, operation_id="getAssistant")
    return judge(exchange, ["error.envelope"], **config)


@pytest.mark.parametrize(
    "status, kind",
    [
        (400, "invalid_request_error"),
        (401, "invalid_request_error"),
        (404, "invalid_request_error"),
        (429, "requests"),
        (500, "server_error"),
        (503, "server_error"),
    ],
)
def test_well_formed_envelopes_pass(judge, status, kind):
    assert envelope(judge, status, b.error(type=kind)) == []


@pytest.mark.parametrize(
    "body, path",
    [
        ({"detail": "Not Found"}, "$"),
        ({"error": "bad"}, "$.error"),
        (b.error(message=""), "$.error.message"),
        (b.error(message="   "), "$.error.message"),
        ({"error": {"message": "x", "param": None, "code": None}}, "$.error.type"),
        ({"error": {"message": "x", "type": "invalid_request_error", "code": None}}, "$.error.param"),
        (b.error(code=404), "$.error.code"),
        (b.error(param=["model"]), "$.error.param"),
    ],
)
def test_broken_envelopes_are_reported_with_their_path(judge, body, path):
    violations = envelope(judge, 404, body)
    assert [v.path for v in violations] == [path]
    assert violations[0].family == "errors"


def test_error_body_that_is_not_json(judge):
    exchange = b.exchange(
        "GET",
        "/models",
        502,
        content=b"<h1>Bad Gateway</h1>",
        content_type="text/html",
        operation_id="listModels",
    )
    (violation,) = judge(exchange, ["error.envelope"])
    assert "not JSON" in violation.message and "Bad Gateway" in violation.got


def test_status_and_type_must_agree_with_the_table(judge):
    (lenient,) = envelope(judge, 404, b.error(type="server_error"))
    assert lenient.severity == "warning" and lenient.path == "$.error.type"
    assert "invalid_request_error" in lenient.expected
    (strict,) = envelope(judge, 404, b.error(type="server_error"), error_types="strict")
    assert strict.severity == "error"
    assert envelope(judge, 404, b.error(type="server_error"), error_types="off") == []


def test_status_without_an_entry_falls_back_to_its_class(judge):
    assert envelope(judge, 418, b.error()) == []
    assert [v.severity for v in envelope(judge, 418, b.error(type="server_error"))] == ["warning"]


def test_success_is_not_judged_as_an_error(judge):
    assert envelope(judge, 200, b.assistant()) == []


@pytest.mark.parametrize(
    "status, fires", [(400, False), (404, False), (422, False), (200, True), (500, True)]
)
def test_negative_requests_must_be_rejected_with_a_4xx(judge, status, fires):
    body = b.error() if status >= 400 else b.assistant()
    exchange = b.exchange(
        "POST",
        "/assistants",
        status,
        body,
        operation_id="createAssistant",
        request_body={"model": 3},
        mode="negative",
    )
    exchange.request.breaks = "type: model"
    violations = judge(exchange, ["negative.rejected"])
    assert bool(violations) is fires
    if fires:
        assert "type: model" in violations[0].message and violations[0].request.mode == "negative"


def test_positive_rule_ignores_negative_requests_and_vice_versa(judge):
    negative = b.exchange(
        "POST", "/assistants", 400, b.error(), operation_id="createAssistant", mode="negative"
    )
    assert judge(negative, ["positive.accepted"]) == []
    positive = b.exchange("POST", "/assistants", 200, b.assistant(), operation_id="createAssistant")
    assert judge(positive, ["negative.rejected"]) == []


@pytest.mark.parametrize(
    "status, fires", [(200, False), (404, False), (429, False), (400, True), (422, True)]
)
def test_positive_requests_are_not_rejected_as_invalid(judge, status, fires):
    body = b.error(message="'model' is required", param="model") if status >= 400 else b.assistant()
    exchange = b.exchange(
        "POST", "/assistants", status, body, operation_id="createAssistant", request_body={"model": "gpt-4o"}
    )
    violations = judge(exchange, ["positive.accepted"])
    assert bool(violations) is fires
    if fires:
        assert "'model' is required (param model)" == violations[0].got


@pytest.mark.parametrize("status, fires", [(200, False), (499, False), (500, True), (503, True)])
def test_any_5xx_is_a_server_error(judge, status, fires):
    exchange = b.exchange("GET", "/models", status, b.error(type="server_error"), operation_id="listModels")
    violations = judge(exchange, ["server.error"])
    assert bool(violations) is fires
    if fires:
        assert violations[0].to_dict()["request"]["path"] == "/models"


@pytest.mark.parametrize(
    "error, fires",
    [
        (b.error(message="Invalid 'input_file_id': 'file-x'. File not found.", param="input_file_id"), False),
        (
            b.error(message="No vector store found", param="tool_resources.file_search.vector_store_ids[0]"),
            False,
        ),
        (b.error(message="The model `x` does not exist", code="model_not_found"), False),
        (b.error(message="'temperature' must be <= 2", param="temperature"), True),
    ],
)
def test_rejections_about_missing_referenced_objects_are_state_not_schema(judge, error, fires):
    exchange = b.exchange(
        "POST", "/batches", 400, error, operation_id="createBatch", request_body={"input_file_id": "file-x"}
    )
    assert bool(judge(exchange, ["positive.accepted"])) is fires


def _null_exchange(status, body, nulls=("description", "temperature"), request_body=None):
    sent = (
        request_body
        if request_body is not None
        else {"model": "gpt-4o", "description": None, "temperature": None}
    )
    exchange = b.exchange(
        "POST", "/assistants", status, body, operation_id="createAssistant", request_body=sent
    )
    exchange.request.nulls = tuple(nulls)
    return exchange


@pytest.mark.parametrize(
    "body, named",
    [
        (
            b.error(message="Invalid type for 'description': expected a string", param="description"),
            "description",
        ),
        (
            {"detail": [{"loc": ["body", "temperature"], "msg": "Input should be a valid number"}]},
            "temperature",
        ),
        (b.error(message="Bad request", param=None), "description, temperature"),  # nothing blamed: all
    ],
)
def test_a_rejected_explicit_null_names_the_property_the_error_blames(judge, body, named):
    found = judge(_null_exchange(422, body), ["positive.null_accepted", "positive.accepted"])
    assert [v.check for v in found] == [
        "positive.null_accepted"
    ]  # positive.accepted leaves it to the null check
    assert found[0].message == f"explicit null for {named} which the spec allows; got 422"
    assert found[0].expected == "not 400/422"


def test_an_accepted_null_or_a_reference_rejection_passes(judge):
    assert judge(_null_exchange(200, b.assistant()), ["positive.null_accepted"]) == []
    missing = b.error(message="No vector store found", param="tool_resources.file_search.vector_store_ids[0]")
    assert judge(_null_exchange(400, missing), ["positive.null_accepted"]) == []


def test_nulls_the_run_filled_in_are_judged_as_a_plain_positive_request(judge):
    # the run's tag replaced `metadata: null`: nothing null was sent, positive.accepted judges the answer
    exchange = _null_exchange(
        400, b.error(message="bad", param="model"), nulls=("metadata",), request_body={"metadata": {"a": "b"}}
    )
    assert [v.check for v in judge(exchange, ["positive.null_accepted", "positive.accepted"])] == [
        "positive.accepted"
    ]
