from __future__ import annotations

import pytest

from conformance.errors import ConformanceError
from conformance.exchange import Request
from conformance.runner.config import resolve
from conformance.runner.resources import Resources
from conformance.runner.safety import TAG_KEY, TOKEN_CAP, clamp, tag
from conformance.runner.selection import SAFE_METHODS, select


def _select(spec, **options):
    return select(spec.operations, resolve(options, environ={}, pyproject=False))


def test_include_by_tag_id_glob_and_path(openai_spec) -> None:
    by_tag = {s.operation.id for s in _select(openai_spec, include="Assistants")}
    assert "createAssistant" in by_tag and "createMessage" in by_tag and "listModels" not in by_tag
    assert {s.operation.id for s in _select(openai_spec, include="listModels")} == {"listModels"}
    globbed = {s.operation.id for s in _select(openai_spec, include="create*Assistant*")}
    assert globbed == {"createAssistant"}
    by_path = {s.operation.id for s in _select(openai_spec, include="/vector_stores")}
    assert "listVectorStores" in by_path and "searchVectorStore" in by_path
    excluded = {s.operation.id for s in _select(openai_spec, include="Assistants", exclude="/threads")}
    assert excluded == {
        "listAssistants",
        "createAssistant",
        "getAssistant",
        "modifyAssistant",
        "deleteAssistant",
    }


def test_a_pattern_that_matches_nothing_is_a_usage_error(openai_spec) -> None:
    with pytest.raises(ConformanceError, match="'nope' matches no operation") as info:
        _select(openai_spec, include="nope")
    assert info.value.exit_code == 2


def test_read_only_runs_only_safe_methods(openai_spec) -> None:
    selection = _select(openai_spec, read_only="true")
    running = [s.operation for s in selection if s.skip is None]
    assert running and all(op.method in SAFE_METHODS for op in running)
    assert all(s.skip for s in selection if s.operation.method not in SAFE_METHODS)


def test_costly_operations_only_run_on_the_emulator_or_when_allowed(openai_spec) -> None:
    costly = (
        "createImage",
        "createSpeech",
        "createFineTuningJob",
        "createBatch",
        "createVideo",
        "inviteUser",
    )
    remote = {s.operation.id: s.skip for s in _select(openai_spec, target="https://api.openai.com/v1")}
    assert all(remote[op] and "--allow-costly" in remote[op] for op in costly)
    assert remote["listModels"] is None and remote["createChatCompletion"] is None
    allowed = {
        s.operation.id: s.skip for s in _select(openai_spec, target="https://x.test/v1", allow_costly="1")
    }
    assert all(allowed[op] is None for op in costly)
    local = {s.operation.id: s.skip for s in _select(openai_spec)}
    assert all(local[op] is None for op in costly)


@pytest.mark.parametrize("total", [1, 2, 3, 7])
def test_shards_cover_every_operation_exactly_once(openai_spec, total: int) -> None:
    seen: list[str] = []
    for index in range(1, total + 1):
        seen += [s.operation.id for s in _select(openai_spec, shard=f"{index}/{total}")]
    assert sorted(seen) == sorted(op.id for op in openai_spec.operations)
    if total > 1:
        sizes = [len(_select(openai_spec, shard=f"{i}/{total}")) for i in range(1, total + 1)]
        assert max(sizes) - min(sizes) <= 1


def test_tagging_and_clamping(openai_spec) -> None:
    create = openai_spec.operation("createAssistant")
    request = Request("POST", "/assistants", create.id, body={"model": "gpt-4o", "metadata": {"a": "b"}})
    tagged = tag(request, openai_spec, create, "run-1")
    assert tagged.body["metadata"] == {"a": "b", TAG_KEY: "run-1"}
    assert request.body["metadata"] == {"a": "b"}  # the generated request is not changed in place
    negative = Request(
        "POST", "/assistants", create.id, body={"model": 3}, mode="negative", breaks="type: model"
    )
    assert tag(negative, openai_spec, create, "run-1") is negative

    chat = openai_spec.operation("createChatCompletion")
    big = Request("POST", "/chat/completions", chat.id, body={"model": "gpt-4o", "max_tokens": 5000, "n": 8})
    clamped = clamp(big, openai_spec, chat)
    assert clamped.body["max_tokens"] == TOKEN_CAP and clamped.body["n"] == 1
    bare = clamp(Request("POST", "/chat/completions", chat.id, body={"model": "gpt-4o"}), openai_spec, chat)
    assert bare.body["max_completion_tokens"] == TOKEN_CAP
    breaking = Request(
        "POST", "/chat/completions", chat.id, body={"n": 500}, mode="negative", breaks="maximum: n"
    )
    assert clamp(breaking, openai_spec, chat).body["n"] == 500


def test_resources_know_creators_and_cleanups(openai_spec) -> None:
    resources = Resources(openai_spec)
    assert resources.creators["/threads/{thread_id}/messages/{message_id}"].id == "createMessage"
    assert resources.cleanups["/threads/{thread_id}/messages/{message_id}"].id == "deleteMessage"
    assert resources.cleanups["/batches/{batch_id}"].id == "cancelBatch"
    assert resources.listers["/models/{model}"].id == "listModels"


def test_not_implemented_is_told_apart_from_a_real_404(openai_spec) -> None:
    from conformance.exchange import Response
    from conformance.runner.partial import looks_unrouted

    op = openai_spec.operation("getAssistant")
    envelope = (
        b'{"error": {"message": "No assistant found with id \'asst_1\'.", "type": "invalid_request_error"}}'
    )
    assert not looks_unrouted(Response(404, {"content-type": "application/json"}, envelope), op)
    assert looks_unrouted(Response(404, {"content-type": "text/plain"}, b"Not Found"), op)
    invalid_url = (
        b'{"error": {"message": "Invalid URL (GET /v1/assistants/x)", "type": "invalid_request_error"}}'
    )
    assert looks_unrouted(Response(404, {"content-type": "application/json"}, invalid_url), op)
    assert looks_unrouted(Response(501, {}, b""), op) and looks_unrouted(Response(405, {}, b""), op)
    assert not looks_unrouted(Response(400, {"content-type": "text/plain"}, b"bad"), op)


def test_state_actions(openai_spec) -> None:
    from conformance.runner.session import is_state_action

    actions = {op.id for op in openai_spec.operations if is_state_action(op)}
    assert {"cancelRun", "submitToolOuputsToRun", "cancelBatch", "completeUpload"} <= actions
    assert not {"createRun", "modifyAssistant", "createMessage", "searchVectorStore"} & actions


def test_a_shard_records_its_place_and_the_run_its_shards_share() -> None:
    from conformance.runner.config import resolve
    from conformance.runner.selection import shard_record

    def record(given: dict, environ: dict | None = None) -> dict | None:
        return shard_record(resolve(given, environ={}, pyproject=False), "abc", environ or {})

    assert record({}) is None
    one, two = record({"shard": "1/2", "workers": "2"}), record({"shard": "2/2"})
    assert (one["index"], one["total"], two["index"]) == (1, 2, 2)
    assert one["run"] == two["run"] and one["run"].startswith("options-")  # started alike: one run
    assert record({"shard": "2/2", "seed": "7"})["run"] != one["run"]
    assert record({"shard": "1/2"}, {"GITHUB_RUN_ID": "991"})["run"] == "github-991"
    assert record({"shard": "1/2", "shard_run": "nightly-5"}, {"GITHUB_RUN_ID": "991"})["run"] == "nightly-5"
