"""response.schema, response.status, response.content_type, response.headers on the real spec."""

from __future__ import annotations

from conformance.checks import run_checks
from tests.checks import check_bodies as b


def ids(violations):
    return [v.check for v in violations]


def test_conforming_assistant_passes_every_check(judge):
    exchange = b.exchange("GET", "/assistants/asst_abc123", 200, b.assistant(), operation_id="getAssistant")
    assert judge(exchange) == []


def test_operation_is_found_from_the_path_when_the_id_is_missing(judge):
    body = b.assistant()
    del body["model"]
    exchange = b.exchange("GET", "/v1/assistants/asst_abc123", 200, body)
    (violation,) = judge(exchange, ["response.schema"])
    assert violation.operation_id is None and "model" in violation.message


def test_schema_violation_names_the_path_and_what_came_back(judge):
    body = b.assistant_list([b.assistant(), b.assistant(id="asst_def456", temperature="hot")])
    (violation,) = judge(
        b.exchange("GET", "/assistants", 200, body, operation_id="listAssistants"), ["response.schema"]
    )
    assert violation.path == "$.data[1].temperature"
    assert violation.got == '"hot"'
    assert violation.family == "schema" and violation.severity == "error"
    check, operation, path, shape = violation.signature()
    assert (check, operation, path) == ("response.schema", "listAssistants", "$.data[*].temperature")
    assert "hot" not in shape  # the value is folded, so every bad temperature is one deviation
    assert violation.request.path == "/assistants"


def test_missing_required_field_is_reported(judge):
    body = b.assistant()
    del body["created_at"]
    (violation,) = judge(
        b.exchange("GET", "/assistants/asst_abc123", 200, body, operation_id="getAssistant"),
        ["response.schema"],
    )
    assert "created_at" in violation.message


def test_undeclared_2xx_is_a_violation(judge):
    exchange = b.exchange("POST", "/assistants", 201, b.assistant(), operation_id="createAssistant")
    (violation,) = judge(exchange, ["response.schema", "response.status"])
    assert violation.check == "response.schema" and "201" in violation.message


def test_error_statuses_are_left_to_the_envelope_check(judge):
    exchange = b.exchange(
        "GET", "/assistants/nope", 404, {"detail": "not found"}, operation_id="getAssistant"
    )
    assert judge(exchange, ["response.schema"]) == []
    assert ids(judge(exchange, ["error.envelope"])) == ["error.envelope"]


def test_empty_list_with_null_cursors_is_a_known_deviation(judge, openai_spec):
    exchange = b.exchange("GET", "/assistants", 200, b.assistant_list([]), operation_id="listAssistants")
    assert judge(exchange) == []
    found = run_checks(exchange, openai_spec, checks=["response.schema"])
    assert {(v.path, v.known_deviation) for v in found} == {
        ("$.first_id", "empty-list-null-cursors"),
        ("$.last_id", "empty-list-null-cursors"),
    }
    strict = judge(exchange, ["response.schema"], strict_spec=True)
    assert sorted(v.path for v in strict) == ["$.first_id", "$.last_id"]


def test_null_cursor_on_a_non_empty_list_is_not_relaxed(judge):
    body = dict(b.assistant_list([b.assistant()]), last_id=None)
    violations = judge(
        b.exchange("GET", "/assistants", 200, body, operation_id="listAssistants"), ["response.schema"]
    )
    assert [v.path for v in violations] == ["$.last_id"]


def test_body_that_is_not_json(judge):
    exchange = b.exchange(
        "GET", "/assistants/asst_abc123", 200, content=b"<html>", operation_id="getAssistant"
    )
    (violation,) = judge(exchange, ["response.schema"])
    assert "not valid JSON" in violation.message


def test_undeclared_status(judge):
    teapot = judge(
        b.exchange("GET", "/models", 418, b.error(), operation_id="listModels"), ["response.status"]
    )
    assert [(v.check, v.severity) for v in teapot] == [("response.status", "warning")]
    redirect = judge(
        b.exchange("GET", "/models", 302, content_type=None, operation_id="listModels"), ["response.status"]
    )
    assert [(v.check, v.severity) for v in redirect] == [("response.status", "error")]
    declared = judge(
        b.exchange("GET", "/models", 429, b.error(type="requests"), operation_id="listModels"),
        ["response.status"],
    )
    assert declared == []


def test_content_type_must_be_declared(judge):
    exchange = b.exchange(
        "GET",
        "/assistants/asst_abc123",
        200,
        b.assistant(),
        operation_id="getAssistant",
        content_type="text/html",
    )
    (violation,) = judge(exchange, ["response.content_type"])
    assert violation.expected == "application/json" and violation.got == "text/html"


def test_stream_request_must_get_event_stream(judge):
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": b.NOW,
        "model": "gpt-4o",
        "choices": [],
    }
    exchange = b.exchange(
        "POST", "/chat/completions", 200, body, operation_id="createChatCompletion", request_body=request
    )
    (violation,) = judge(exchange, ["response.content_type"])
    assert violation.expected == "text/event-stream"


def test_streams_listed_in_the_table_may_answer_event_stream(judge):
    exchange = b.exchange(
        "POST",
        "/threads/runs",
        200,
        operation_id="createThreadAndRun",
        request_body={"assistant_id": "asst_abc123", "stream": True},
        content_type="text/event-stream",
        events=b.assistant_events(),
    )
    assert judge(exchange, ["response.content_type"]) == []


def test_error_answers_must_be_json(judge):
    exchange = b.exchange(
        "GET", "/models", 500, content=b"oops", content_type="text/plain", operation_id="listModels"
    )
    assert "response.content_type" in ids(judge(exchange))


def test_file_download_accepts_any_content_type(judge):
    exchange = b.exchange(
        "GET",
        "/files/file-abc/content",
        200,
        content=b"\x00\x01",
        content_type="application/octet-stream",
        operation_id="downloadFile",
    )
    assert judge(exchange, ["response.content_type", "response.schema"]) == []


def test_request_id_header_is_required_by_default_and_configurable(judge):
    exchange = b.exchange("GET", "/assistants/asst_abc123", 200, b.assistant(), operation_id="getAssistant")
    del exchange.response.headers["x-request-id"]
    (violation,) = judge(exchange, ["response.headers"])
    assert violation.message == "header x-request-id is missing"
    assert judge(exchange, ["response.headers"], required_headers=()) == []
    more = judge(exchange, ["response.headers"], required_headers=("X-Request-Id", "openai-version"))
    assert len(more) == 2


def test_empty_body_where_json_is_declared(judge):
    exchange = b.exchange("GET", "/assistants/asst_abc123", 200, operation_id="getAssistant")
    (violation,) = judge(exchange, ["response.schema"])
    assert (violation.message, violation.got) == ("the body is empty", "(empty)")


def test_speech_may_name_its_audio_type_but_not_json(judge):
    def speech(content_type):
        return b.exchange(
            "POST",
            "/audio/speech",
            200,
            content=b"ID3\x03",
            content_type=content_type,
            request_body={"model": "tts-1", "input": "hi", "voice": "alloy"},
            operation_id="createSpeech",
        )

    assert judge(speech("audio/mpeg"), ["response.content_type"]) == []
    assert ids(judge(speech("text/html"), ["response.content_type"])) == ["response.content_type"]


def embeddings(encoding_format, embedding):
    body = {
        "object": "list",
        "model": "text-embedding-3-small",
        "data": [{"object": "embedding", "index": 0, "embedding": embedding}],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
    request = {"model": "text-embedding-3-small", "input": "hi", "encoding_format": encoding_format}
    return b.exchange("POST", "/embeddings", 200, body, request_body=request, operation_id="createEmbedding")


def test_base64_embeddings_are_strings(judge):
    assert judge(embeddings("base64", "AACAPw=="), ["response.schema"]) == []
    assert judge(embeddings("float", [0.5, 1.0]), ["response.schema"]) == []
    (violation,) = judge(embeddings("float", "AACAPw=="), ["response.schema"])
    assert violation.path == "$.data[0].embedding"


def test_a_file_download_must_carry_a_content_type(judge):
    download = b.exchange(
        "GET",
        "/files/file-abc/content",
        200,
        operation_id="downloadFile",
        content_type=None,
        content=b'{"custom_id": "1"}\n',
    )
    (violation,) = judge(download, ["response.content_type"])
    assert violation.got == "(none)" and "no Content-Type" in violation.message
    typed = b.exchange(
        "GET",
        "/files/file-abc/content",
        200,
        operation_id="downloadFile",
        content_type="application/octet-stream",
        content=b"bytes",
    )
    assert judge(typed, ["response.content_type"]) == []


def test_every_body_carries_a_content_type_even_of_a_status_the_spec_does_not_declare(judge):
    undeclared = b.exchange(
        "GET", "/models", 203, operation_id="listModels", content_type=None, content=b'{"data": []}'
    )
    (violation,) = judge(undeclared, ["response.content_type"])
    assert violation.got == "(none)" and violation.expected == "a Content-Type"
    empty = b.exchange("GET", "/models", 203, operation_id="listModels", content_type=None, content=b"")
    assert judge(empty, ["response.content_type"]) == []
