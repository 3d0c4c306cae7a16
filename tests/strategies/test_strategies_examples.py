"""x-oaiMeta examples: parsed from curl, kept only when they validate."""

from __future__ import annotations

from conformance import strategies
from conformance.spec import Spec
from conformance.strategies.examples import parse_curl, raw_examples


def test_most_operations_have_a_valid_example(spec: Spec, generator: strategies.Generator) -> None:
    documented = [op for op in spec.operations if raw_examples(op)]
    valid = [op for op in documented if generator.examples(op)]
    assert len(documented) >= 250
    assert len(valid) / len(documented) > 0.8, f"{len(valid)} of {len(documented)}"
    for op in valid:
        for request in generator.examples(op):
            assert not generator.validator.validate(op, request, id_shapes=False)


def test_json_example(spec: Spec) -> None:
    (request,) = strategies.examples("createMessage", spec=spec)
    assert request.method == "POST" and request.path == "/threads/thread_abc123/messages"
    assert request.path_params == {"thread_id": "thread_abc123"}
    assert request.body["role"] == "user" and request.media_type == "application/json"
    assert "Authorization" not in request.headers and request.headers.get("OpenAI-Beta") == "assistants=v2"


def test_multipart_example_with_a_missing_line_continuation(spec: Spec) -> None:
    # The createFile example forgets a backslash; the form fields after it still count.
    (request,) = strategies.examples("createFile", spec=spec)
    assert request.body == {
        "purpose": "fine-tune",
        "expires_after": {"anchor": "created_at", "seconds": 2592000},
    }
    assert request.files["file"][0].endswith(".jsonl")


def test_placeholder_models_are_replaced(spec: Spec) -> None:
    for request in strategies.examples("createChatCompletion", spec=spec):
        assert not request.body["model"].startswith("VAR_")


def test_a_curl_for_another_path_is_not_an_example(spec: Spec) -> None:
    op = spec.operation("createMessage")
    assert parse_curl(op, "curl https://api.openai.com/v1/models") is None
    assert parse_curl(op, "curl 'unterminated") is None
