"""`openai-conformance run` end to end: the emulator, a non-conforming target, and the error paths."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conformance.cli import main
from tests.runner.support import json_response, read_results

MODELS_LIST = {
    "object": "list",
    "data": [{"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"}],
}


def run(*args: str) -> int:
    return main(["run", *args])


def test_emulator_subset_conforms_and_reports_every_operation(tmp_path: Path, capsys, openai_spec) -> None:
    code = run("--include", "Models,Moderations", "--max-examples", "2", "--report-dir", str(tmp_path))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 violations" in out and "exit code 0" in out
    results = read_results(tmp_path)
    assert results["exit_code"] == 0 and results["target"] == "emulator"
    expected = {op.id for op in openai_spec.operations if {"Models", "Moderations"} & set(op.tags)}
    for phase in ("examples", "positive", "negative"):
        assert {r["operation_id"] for r in results["operations"] if r["phase"] == phase} == expected
    assert results["requests_sent"] > 0
    assert all(r["outcome"] in ("passed", "skipped") for r in results["operations"])


def test_non_conforming_target_exits_1_and_names_the_violation(tmp_path, capsys, serve, recorder) -> None:
    rec = recorder({("GET", "/v1/models"): json_response({"object": "list", "data": "not a list"})})
    url = serve(rec.app)
    code = run(
        "--target",
        url,
        "--target-kind",
        "real-account",
        "--include",
        "Models",
        "--phases",
        "positive",
        "--report-dir",
        str(tmp_path),
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "response.schema  listModels  $.data" in out
    assert f"curl -sS -X GET {url}/models" in out  # the reproduction names the target that was used
    results = read_results(tmp_path)
    outcome = {r["operation_id"]: r for r in results["operations"]}
    assert outcome["listModels"]["outcome"] == "failed"
    assert any(v["path"].startswith("$.data") for v in outcome["listModels"]["violations"])
    # a partial server: the unrouted operation is "not implemented", not a flood of violations
    assert outcome["retrieveModel"]["outcome"] == "not-implemented"
    assert outcome["retrieveModel"]["violations"] == []
    # the run never deletes an object it did not create
    assert outcome["deleteModel"]["outcome"] == "skipped"
    assert not [seen for seen in rec.seen if seen[0] == "DELETE"]


def test_read_only_sends_only_safe_requests(tmp_path, capsys, serve, recorder) -> None:
    rec = recorder({("GET", "/v1/models"): json_response(MODELS_LIST)})
    url = serve(rec.app)
    run(
        "--target",
        url,
        "--include",
        "Models,Files,Moderations",
        "--read-only",
        "--phases",
        "positive,negative,stateful",
        "--max-examples",
        "2",
        "--report-dir",
        str(tmp_path),
    )
    capsys.readouterr()
    assert rec.seen and {method for method, _, _ in rec.seen} == {"GET"}
    results = read_results(tmp_path)
    skipped = {r["operation_id"] for r in results["operations"] if r["outcome"] == "skipped"}
    assert {"createFile", "deleteFile", "createModeration"} <= skipped


def test_unreachable_target_is_one_line_and_exit_3(tmp_path, capsys) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = run("--target", f"http://127.0.0.1:{port}/v1", "--report-dir", str(tmp_path))
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("\n") == 1 and "unreachable" in err and "Traceback" not in err


def test_rejected_key_is_one_line_and_exit_2(tmp_path, capsys, serve, recorder, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-123")
    error = {
        "error": {
            "message": "Incorrect API key",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    rec = recorder({("GET", "/v1/models"): json_response(error, status=401)})
    code = run("--target", serve(rec.app), "--report-dir", str(tmp_path))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "$OPENAI_API_KEY was rejected (401)" in err
    assert "sk-wrong-key-123" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-examples", "many"], "--max-examples: invalid value 'many'"),
        (["--phases", "positive,chaos"], "unknown phase 'chaos'"),
        (["--include", "noSuchOperation"], "'noSuchOperation' matches no operation"),
        (["--spec", "/nonexistent/spec.yaml"], "/nonexistent/spec.yaml"),
        (["--shard", "0/3"], "--shard"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: list[str], message: str, capsys) -> None:
    code = run(*args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_budget_spent_on_a_clean_run_warns_unless_it_fails_and_still_cleans_up(tmp_path, capsys) -> None:
    args = ("--include", "Assistants", "--phases", "positive", "--request-budget", "25")
    assert run(*args, "--report-dir", str(tmp_path / "warn")) == 0
    out = capsys.readouterr().out
    assert "warning: the request budget of 25 was spent" in out and "exit code 0" in out
    warned = read_results(tmp_path / "warn")
    assert warned["exit_code"] == 0 and warned["budget_spent"] is True
    assert "PASS (request budget spent" in (tmp_path / "warn" / "latest" / "summary.md").read_text()
    code = run(*args, "--budget-exhausted-fails", "--report-dir", str(tmp_path))
    out = capsys.readouterr().out
    assert code == 4, out
    results = read_results(tmp_path)
    assert results["exit_code"] == 4 and results["budget_spent"] is True
    # the clean-up is not counted against the budget: it ran after the 25 requests
    assert results["requests_sent"] > 25
    # the operations the budget left out are still in the reports, as skipped
    listed = {r["operation_id"] for r in results["operations"]}
    assert "deleteThread" in listed and "getRunStep" in listed
    assert any(r["outcome"] == "skipped" and "not run" in (r["reason"] or "") for r in results["operations"])


def test_emulator_http_target_serves_the_emulator_on_a_local_port(tmp_path, capsys) -> None:
    code = run(
        "--target",
        "emulator-http",
        "--include",
        "Models",
        "--phases",
        "positive",
        "--report-dir",
        str(tmp_path),
    )
    out = capsys.readouterr().out
    assert code == 0, out
    results = read_results(tmp_path)
    assert results["target"] == "emulator-http"
    assert {r["operation_id"] for r in results["operations"]} == {
        "listModels",
        "retrieveModel",
        "deleteModel",
    }
    assert results["requests_sent"] > 0


def test_pytest_arguments_after_the_double_dash_behave_as_in_pytest(tmp_path: Path, capsys) -> None:
    faulty = ("--include", "Models", "--phases", "positive", "--max-examples", "1")
    faulty += ("--emulator-fault", "list-without-object", "--report-dir", str(tmp_path))
    assert run(*faulty, "--", "-v") == 1
    out = capsys.readouterr().out
    assert "test_positive[listModels] FAILED" in out and "test_positive[retrieveModel] PASSED" in out
    assert "configfile:" not in out and "rootdir:" in out
    # --lf reruns only what failed last time (the cache lives with the reports)
    assert run(*faulty, "--", "-v", "--lf") == 1
    out = capsys.readouterr().out
    assert (
        "test_positive[listModels] FAILED" in out
        and "retrieveModel" not in out.split("openai-conformance:")[0]
    )
    # -x stops at the first failure; what never ran is listed as skipped
    assert run(*faulty, "--", "-x", "-p", "no:randomly") == 1
    assert "stopping after 1 failures" in capsys.readouterr().out
