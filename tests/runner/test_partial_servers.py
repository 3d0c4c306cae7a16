"""Partial servers: "not implemented" is decided on evidence, and a server that implements nothing fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main
from conformance.exchange import Exchange, Request, Response
from conformance.runner.partial import Routes
from conformance.runner.resources import Created, Resources
from tests.runner.partial_servers import CHAT_ONLY, NotFoundEverywhere, Partial
from tests.runner.support import read_results

QUICK = ("--max-examples", "2", "--target-kind", "test-server")


@pytest.fixture(autouse=True)
def key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")


def run(*args: str) -> int:
    return main(["run", *args])


def by_operation(results: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for r in results["operations"]:
        found.setdefault(r["operation_id"], set()).add(r["outcome"])
    return found


def test_a_server_that_answers_every_request_404_implements_nothing(tmp_path: Path, capsys, serve) -> None:
    url = serve(NotFoundEverywhere("No fixture matched"))
    code = run("--target", url, *QUICK, "--include", "Models,Embeddings,Chat", "--report-dir", str(tmp_path))
    out = capsys.readouterr().out
    assert code == 1, out
    results = read_results(tmp_path)
    outcomes = by_operation(results)
    assert outcomes and all("passed" not in o and "failed" not in o for o in outcomes.values()), outcomes
    assert all("not-implemented" in o for o in outcomes.values()), outcomes
    assert f"0 of {len(outcomes)} operations implemented" in out
    assert results["counts"]["new_violations"] == 0 and results["exit_code"] == 1


def test_a_chat_only_server_is_not_implemented_elsewhere_and_clean_where_it_is(
    tmp_path: Path, capsys, serve
) -> None:
    url = serve(Partial(CHAT_ONLY))
    code = run("--target", url, *QUICK, "--include", "Models,Chat", "--report-dir", str(tmp_path))
    out = capsys.readouterr().out
    results = read_results(tmp_path)
    assert code == 0, out
    assert results["counts"]["new_violations"] == 0, [
        v["message"] for r in results["operations"] for v in r["violations"]
    ]
    outcomes = by_operation(results)
    for op in ("listModels", "retrieveModel", "createChatCompletion"):
        assert "passed" in outcomes[op] and "not-implemented" not in outcomes[op], (op, outcomes[op])
    # stored chat completions: FastAPI's {"detail": "Not Found"}, no lifecycle findings
    for op in ("getChatCompletion", "updateChatCompletion", "deleteChatCompletion", "listChatCompletions"):
        assert outcomes[op] <= {"not-implemented", "skipped"} and "not-implemented" in outcomes[op], op
    assert "3 of 9 operations implemented" in out


def test_a_vllm_style_server_under_the_chat_profile_passes_with_a_score_from_the_run(
    tmp_path: Path, capsys, serve
) -> None:
    """The chat profile promises what such servers implement (models, chat, embeddings; no moderations)."""
    url = serve(Partial(CHAT_ONLY))
    code = run("--target", url, *QUICK, "--profile", "chat", "--report-dir", str(tmp_path))
    out = capsys.readouterr().out
    results = read_results(tmp_path)
    assert code == 0 and results["exit_code"] == 0, out
    assert results["counts"]["new_violations"] == 0
    score = results["compatibility"]
    assert score["operations"] == {"promised": 4, "tested": 4, "untested": [], "not_implemented": []}
    assert score["score"] == 100.0 and "compatibility with profile chat: 100%" in out
    ran = {r["operation_id"] for r in results["operations"] if r["outcome"] == "passed"}
    assert ran == {"listModels", "retrieveModel", "createChatCompletion", "createEmbedding"}
    for family, row in score["families"].items():  # the score counts the run's own results
        judged = [r for r in results["operations"] if family in r["families"] and r["outcome"] == "passed"]
        assert row["failed"] == 0 and row["passed"] == len({r["operation_id"] for r in judged}), family


def test_a_profile_whose_promised_operation_is_missing_fails_and_scores_it(
    tmp_path: Path, capsys, serve
) -> None:
    profile = tmp_path / "moderating.yaml"
    ids = "listModels, retrieveModel, createChatCompletion, createEmbedding, createModeration"
    profile.write_text(f"name: moderating\nextends: chat\noperations: {{ids: [{ids}]}}\n")
    url = serve(Partial(CHAT_ONLY))
    code = run("--target", url, *QUICK, "--profile", str(profile), "--report-dir", str(tmp_path / "r"))
    out = capsys.readouterr().out
    results = read_results(tmp_path / "r")
    assert code == 1 and results["exit_code"] == 1, out
    assert results["counts"]["new_violations"] == 0
    ops = results["compatibility"]["operations"]
    assert ops["not_implemented"] == ["createModeration"]
    assert results["compatibility"]["score"] < 100
    assert "1 not implemented" in out and "4 of 5 operations implemented" in out


def _exchange(method: str, template: str, path: str, status: int, body: bytes, breaks: str | None = None):
    request = Request(method, path, "op", template, {}, mode="positive")
    request.breaks = breaks
    return Exchange(request, Response(status, {"content-type": "application/json"} if body else {}, body))


def test_the_evidence_for_a_missing_route(openai_spec) -> None:
    envelope = b'{"error": {"message": "No such thing", "type": "invalid_request_error"}}'
    fastapi = b'{"detail": "Not Found"}'
    step = openai_spec.operation("getRunStep")
    template = step.path
    path = "/threads/thread_1/runs/run_1/steps/step_x"
    resources = Resources(openai_spec)
    # nothing created, nothing answered: a 404 for an unknown id is a missing route, whatever the body
    assert Routes().missing(_exchange("GET", template, path, 404, envelope), step, resources)
    # the run was created by this run: an empty 404 for an unknown step is a real answer
    thread = Created("thread_1", "createThread", "/threads/{thread_id}", {"thread_id": "thread_1"})
    run_ = Created(
        "run_1",
        "createRun",
        "/threads/{thread_id}/runs/{run_id}",
        {"thread_id": "thread_1", "run_id": "run_1"},
    )
    resources.add(thread)
    resources.add(run_)
    assert not Routes().missing(_exchange("GET", template, path, 404, b""), step, resources)
    assert Routes().missing(_exchange("GET", template, path, 404, fastapi), step, resources)
    # a collection path cannot be about an unknown object: a 404 envelope there is a missing route
    create = openai_spec.operation("createAssistant")
    assert Routes().missing(_exchange("POST", create.path, "/assistants", 404, envelope), create, resources)
    # an operation that answered once has its route
    routes = Routes()
    assert not routes.missing(_exchange("POST", create.path, "/assistants", 400, envelope), create, resources)
    assert not routes.missing(_exchange("POST", create.path, "/assistants", 404, envelope), create, resources)
    # a just-created object the retrieve says 404 to: implemented and wrong, unless a framework says so
    get = openai_spec.operation("getThread")
    assert not Routes().missing(
        _exchange("GET", get.path, "/threads/thread_1", 404, envelope), get, resources
    )
    assert Routes().missing(_exchange("GET", get.path, "/threads/thread_1", 404, fastapi), get, resources)
    assert Routes().missing(_exchange("GET", get.path, "/threads/thread_1", 501, b""), get, resources)
    # llmock 0.2.2: the framework's reason phrase in an envelope, for a route it lacks
    reason = b'{"error": {"message": "Not Found", "type": "invalid_request_error", "code": "not_found"}}'
    assert Routes().missing(_exchange("GET", get.path, "/threads/thread_1", 404, reason), get, resources)
