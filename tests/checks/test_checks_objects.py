"""object.invariants: deletes, id prefixes, timestamps, usage sums and echoed fields."""

from __future__ import annotations

import pytest

from tests.checks import check_bodies as b


def delete(judge, body, operation_id="deleteAssistant", path="/assistants/asst_abc123"):
    exchange = b.exchange(
        "DELETE",
        path,
        200,
        body,
        operation_id=operation_id,
        path_params={"assistant_id": path.rsplit("/", 1)[-1]},
    )
    return judge(exchange, ["object.invariants"])


def test_conforming_delete(judge):
    assert delete(judge, {"id": "asst_abc123", "object": "assistant.deleted", "deleted": True}) == []


@pytest.mark.parametrize(
    "body, path",
    [
        ({"id": "asst_abc123", "object": "assistant.deleted", "deleted": False}, "$.deleted"),
        ({"id": "asst_other", "object": "assistant.deleted", "deleted": True}, "$.id"),
    ],
)
def test_broken_delete_answers(judge, body, path):
    assert [v.path for v in delete(judge, body)] == [path]


def test_delete_object_comes_from_the_spec_enum_else_the_table_else_dot_deleted(judge):
    assert (
        delete(judge, {"id": "file-abc", "object": "file", "deleted": True}, "deleteFile", "/files/file-abc")
        == []
    )
    model = {"id": "ft:gpt-4o:acme:x", "object": "model", "deleted": True}
    assert delete(judge, model, "deleteModel", "/models/ft:gpt-4o:acme:x") == []
    evals = {"eval_id": "eval_1", "object": "eval", "deleted": True}  # the spec leaves object a string
    assert [v.path for v in delete(judge, evals, "deleteEval", "/evals/eval_1")] == ["$.object"]
    assert delete(judge, dict(evals, object="eval.deleted"), "deleteEval", "/evals/eval_1") == []


def test_id_prefix_is_a_warning_and_can_be_disabled(judge):
    exchange = b.exchange(
        "GET",
        "/assistants",
        200,
        b.assistant_list([b.assistant(id="thing_1")]),
        operation_id="listAssistants",
    )
    (violation,) = judge(exchange, ["object.invariants"])
    assert (violation.severity, violation.path) == ("warning", "$.data[0].id")
    assert judge(exchange, ["object.invariants"], id_prefixes=False) == []


def test_millisecond_and_implausible_timestamps(judge):
    ms = b.exchange(
        "GET",
        "/assistants/asst_abc123",
        200,
        b.assistant(created_at=b.NOW * 1000),
        operation_id="getAssistant",
    )
    (violation,) = judge(ms, ["object.invariants"])
    assert "milliseconds" in violation.message and violation.path == "$.created_at"
    early = b.exchange(
        "GET", "/assistants/asst_abc123", 200, b.assistant(created_at=1000), operation_id="getAssistant"
    )
    assert [v.path for v in judge(early, ["object.invariants"])] == ["$.created_at"]


def test_usage_totals_add_up(judge):
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": b.NOW,
        "model": "gpt-4o",
        "choices": [],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
    request = {"model": "gpt-4o", "messages": []}
    good = b.exchange(
        "POST", "/chat/completions", 200, body, operation_id="createChatCompletion", request_body=request
    )
    assert judge(good, ["object.invariants"]) == []
    body["usage"]["total_tokens"] = 9
    (violation,) = judge(
        good.__class__(good.request, b.exchange("GET", "/", 200, body).response), ["object.invariants"]
    )
    assert violation.path == "$.usage.total_tokens" and violation.expected == "8"


def test_metadata_and_model_echo_back(judge):
    request = {"model": "gpt-4o", "metadata": {"team": "a"}}
    good = b.exchange(
        "POST",
        "/assistants",
        200,
        b.assistant(metadata={"team": "a"}),
        operation_id="createAssistant",
        request_body=request,
    )
    assert judge(good, ["object.invariants"]) == []
    dated = b.exchange(
        "POST",
        "/assistants",
        200,
        b.assistant(model="gpt-4o-2024-08-06", metadata={"team": "a"}),
        operation_id="createAssistant",
        request_body=request,
    )
    assert judge(dated, ["object.invariants"]) == []
    lost = b.exchange(
        "POST",
        "/assistants",
        200,
        b.assistant(model="gpt-3.5-turbo"),
        operation_id="createAssistant",
        request_body=request,
    )
    assert sorted((v.path, v.severity) for v in judge(lost, ["object.invariants"])) == [
        ("$.metadata", "error"),
        ("$.model", "warning"),
    ]


def test_metadata_values_outside_the_spec_are_not_judged(judge):
    """ruby-openai's threads_modify.yml (2023-11-14): `{"modified": true}` sent, "True" stored; a
    string value sent still has to come back as sent."""
    request = {"metadata": {"modified": True, "team": "a"}}
    stored = b.exchange(
        "POST",
        "/assistants/asst_abc123",
        200,
        b.assistant(metadata={"modified": "True", "team": "a"}),
        operation_id="modifyAssistant",
        request_body=request,
    )
    assert judge(stored, ["object.invariants"]) == []
    lost = b.exchange(
        "POST",
        "/assistants/asst_abc123",
        200,
        b.assistant(metadata={"modified": "True", "team": "b"}),
        operation_id="modifyAssistant",
        request_body=request,
    )
    assert [v.path for v in judge(lost, ["object.invariants"])] == ["$.metadata"]


def test_retrieve_and_modify_answer_the_object_the_path_names(judge):
    good = b.exchange("GET", "/assistants/asst_abc123", 200, b.assistant(), operation_id="getAssistant")
    assert judge(good, ["object.invariants"]) == []
    other = b.exchange(
        "POST",
        "/assistants/asst_zzz",
        200,
        b.assistant(),
        operation_id="modifyAssistant",
        path_params={"assistant_id": "asst_zzz"},
    )
    (violation,) = judge(other, ["object.invariants"])
    assert (violation.path, violation.expected, violation.got) == ("$.id", "asst_zzz", "asst_abc123")
    created = b.exchange("POST", "/threads/thread_1/runs", 200, b.run("queued"), operation_id="createRun")
    assert judge(created, ["object.invariants"]) == []
