"""`run --baseline` and `run --profile`: accepted violations, expired entries, profiles' operations,
relaxed checks, the compatibility score, and the families each exchange was judged on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.exchange import Exchange, Request, Response, SSEEvent
from conformance.profiles import load_profile
from conformance.reports.jsonfile import schema_errors
from conformance.runner.session import judged_families, without_fields
from tests.runner.support import read_results

FAULTY_LIST = ("--include", "listModels", "--phases", "positive", "--max-examples", "2")


def run(*args: str) -> int:
    return main(["run", *args])


def violations(results: dict) -> list[dict]:
    return [v for r in results["operations"] for v in r["violations"]]


def test_baseline_accepts_known_violations_until_they_expire(tmp_path: Path, capsys) -> None:
    reports, baseline = tmp_path / "reports", tmp_path / "baseline.yaml"
    faulty = (*FAULTY_LIST, "--emulator-fault", "list-without-object", "--report-dir", str(reports))

    assert run(*faulty) == 1
    first = read_results(reports)
    assert first["baseline"] is None
    assert {v["check"] for v in violations(first)} == {"response.schema"}
    assert main(["baseline", "update", str(reports), "--output", str(baseline)]) == 0
    capsys.readouterr()

    assert run(*faulty, "--baseline", str(baseline)) == 0
    out = capsys.readouterr().out
    assert "exit code 0" in out and "1 violations accepted, 0 new" in out
    accepted = read_results(reports)
    assert accepted["run_id"] != first["run_id"]
    assert accepted["exit_code"] == 0 and accepted["counts"]["new_violations"] == 0
    assert accepted["counts"]["accepted_violations"] == len(violations(accepted)) > 0
    assert all(v["accepted"]["reason"] for v in violations(accepted))
    assert accepted["baseline"]["accepted"] >= 1 and accepted["baseline"]["new"] == 0
    assert {r["outcome"] for r in accepted["operations"]} == {"passed"}
    assert schema_errors(accepted) == []

    text = baseline.read_text().replace("  reason:", "  expires: 2000-01-31\n  reason:")
    baseline.write_text(text)
    assert run(*faulty, "--baseline", str(baseline)) == 1
    out = capsys.readouterr().out
    assert "1 expired entries" in out and 'response.schema  listModels  $: "object" is a required' in out
    expired = read_results(reports)
    assert expired["counts"]["new_violations"] == len(violations(expired)) > 0
    assert [e["expires"] for e in expired["baseline"]["expired"]] == ["2000-01-31"]
    summary = (reports / "latest" / "summary.md").read_text()
    assert "Baseline entry expired on 2000-01-31" in summary


def test_a_conforming_run_with_a_baseline_lists_its_unused_entries(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(
        "version: 1\naccepted:\n  - check: response.schema\n    operation_id: listModels\n"
        "    reason: fixed since\n"
    )
    monkeypatch.setenv("OPENAI_CONFORMANCE_BASELINE", str(baseline))  # the environment, like every option
    assert run(*FAULTY_LIST, "--report-dir", str(tmp_path)) == 0
    assert "0 violations accepted, 0 new, 1 entries matched nothing" in capsys.readouterr().out
    results = read_results(tmp_path)
    assert results["options"]["baseline"] == str(baseline)
    assert [e["check"] for e in results["baseline"]["unused"]] == ["response.schema"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("accepted: 3\n", "expected a mapping with an `accepted` list"),
        ("accepted:\n  - operation_id: listModels\n", "entry 1: needs a `check`"),
        ("accepted:\n  - check: '*'\n    expires: someday\n", "is not a date"),
    ],
)
def test_a_bad_baseline_is_one_line_and_exit_2(tmp_path: Path, capsys, content, message) -> None:
    path = tmp_path / "baseline.yaml"
    if content is not None:
        path.write_text(content)
    code = run(*FAULTY_LIST, "--baseline", str(path), "--report-dir", str(tmp_path / "reports"))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1 and message in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "reports").exists()  # nothing ran


def test_profile_runs_its_operations_and_scores_them(tmp_path: Path, capsys, openai_spec) -> None:
    # The emulator refuses `dimensions` for the default embedding model, as the API does: a server
    # profile says so, and the run leaves the field out of the requests it generates.
    profile = tmp_path / "my-server.yaml"
    profile.write_text(
        "name: my-server\nextends: chat\nunsupported:\n  createEmbedding: [dimensions]\n"
        "relaxes:\n  - check: sse.stream:schema\n"
    )
    reports = tmp_path / "reports"
    code = run("--profile", str(profile), "--max-examples", "2", "--report-dir", str(reports))
    out = capsys.readouterr().out
    assert code == 0, out
    chat = {op.id for op in load_profile("chat").select(openai_spec.operations)}
    results = read_results(reports)
    assert {r["operation_id"] for r in results["operations"]} == chat
    assert results["profile"] == "my-server" and results["options"]["profile"] == str(profile)
    score = results["compatibility"]
    assert score["profile"] == "my-server" and score["score"] == 100.0
    assert score["operations"]["promised"] == len(chat) and score["operations"]["not_implemented"] == []
    assert {"schema", "errors"} <= set(score["families"])
    assert all(f["failed"] == 0 and f["passed"] > 0 for f in score["families"].values())
    assert schema_errors(results) == []
    assert "compatibility with profile my-server: 100%" in out
    summary = (reports / "latest" / "summary.md").read_text()
    assert "### Compatibility with profile `my-server`: 100%" in summary
    assert "| schema | 100% |" in summary


def test_profile_relaxes_only_what_it_does_not_promise(tmp_path: Path, capsys) -> None:
    # The fault drops x-request-id: `full` promises that header, `chat` does not.
    faulty = (*FAULTY_LIST, "--emulator-fault", "missing-request-id")
    assert run(*faulty, "--profile", "full", "--report-dir", str(tmp_path / "full")) == 1
    full = read_results(tmp_path / "full")
    assert {v["check"] for v in violations(full)} == {"response.headers"}
    assert full["compatibility"]["families"]["http"]["failed"] == 1
    assert full["compatibility"]["score"] < 100

    assert run(*faulty, "--profile", "chat", "--report-dir", str(tmp_path / "chat")) == 0
    chat = read_results(tmp_path / "chat")
    assert violations(chat) == [] and chat["compatibility"]["score"] == 100.0
    assert {r["operation_id"] for r in chat["operations"]} == {"listModels"}  # --include narrows it
    capsys.readouterr()


def test_no_profile_and_no_baseline_leave_the_results_as_they_were(tmp_path: Path, capsys) -> None:
    assert run(*FAULTY_LIST, "--report-dir", str(tmp_path)) == 0
    results = read_results(tmp_path)
    assert results["profile"] is None and results["compatibility"] is None and results["baseline"] is None
    assert "compatibility" not in capsys.readouterr().out
    assert "Compatibility" not in (tmp_path / "latest" / "summary.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nosuch"], "no such built-in profile"),
        (["--profile", "/nonexistent/server.yaml"], "no such file"),
        (["--profile", "chat", "--include", "Assistants"], "leave none of the operations of profile chat"),
        (["--profile", "{bad}"], None),
    ],
)
def test_a_bad_profile_is_one_line_and_exit_2(tmp_path: Path, capsys, args, message) -> None:
    if args[1] == "{bad}":
        path = tmp_path / "bad.yaml"
        path.write_text("name: bad\ndescription: x\noperations: {ids: [noSuchOperation]}\n")
        args, message = ["--profile", str(path)], "promises no operation of this spec"
    code = run(*args, "--report-dir", str(tmp_path / "reports"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def _exchange(op_id: str, mode: str, status: int, body: bytes, media: str, events=None) -> Exchange:
    request = Request("POST", "/x", op_id, "/x", mode=mode)
    response = Response(status, {"content-type": media}, body, events=events)
    return Exchange(request, response)


def test_judged_families_name_the_checks_that_had_something_to_judge(openai_spec) -> None:
    chat = openai_spec.operation("createChatCompletion")
    listing = openai_spec.operation("listAssistants")
    json_ = "application/json"
    assert judged_families(_exchange(chat.id, "positive", 200, b'{"id": "c"}', json_), chat) == {
        "schema",
        "http",
        "lifecycle",
    }
    error = b'{"error": {"message": "m", "type": "t", "param": null, "code": null}}'
    assert "errors" in judged_families(_exchange(chat.id, "negative", 400, error, json_), chat)
    events = [SSEEvent(data="[DONE]")]
    stream = _exchange(chat.id, "positive", 200, b"data: [DONE]\n\n", "text/event-stream", events)
    assert judged_families(stream, chat) == {"schema", "http", "streaming"}
    page = b'{"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false}'
    assert "pagination" in judged_families(_exchange(listing.id, "positive", 200, page, json_), listing)
    assert judged_families(_exchange(chat.id, "positive", 0, b"", json_), chat) == set()


def test_without_fields_leaves_out_what_the_server_does_not_support() -> None:
    request = Request(
        "POST", "/embeddings", "createEmbedding", "/embeddings", query={"dimensions": 3, "x": 1}
    )
    request.body = {"model": "m", "input": "hi", "dimensions": 3}
    trimmed = without_fields(request, ("dimensions",))
    assert trimmed.body == {"model": "m", "input": "hi"} and trimmed.query == {"x": 1}
    assert request.body["dimensions"] == 3  # the original is untouched
    assert without_fields(request, ()) is request


def test_fuzz_counts_only_violations_the_baseline_does_not_accept(tmp_path: Path, capsys) -> None:
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(
        "version: 1\naccepted:\n  - check: response.schema\n    operation_id: listModels\n"
        "    reason: the server sends a bare {data} envelope\n"
    )
    fuzz = ["fuzz", "--max-time", "1", "--include", "listModels", "--emulator-fault", "list-without-object"]
    assert main([*fuzz, "--report-dir", str(tmp_path / "plain")]) == 1
    assert main([*fuzz, "--report-dir", str(tmp_path / "accepted"), "--baseline", str(baseline)]) == 0
    assert "violations accepted, 0 new" in capsys.readouterr().out
    results = read_results(tmp_path / "accepted")
    assert results["counts"]["new_violations"] == 0 and results["counts"]["accepted_violations"] > 0


def test_shards_with_a_profile_merge_into_one_score(tmp_path: Path, capsys) -> None:
    common = ("--profile", "chat", "--phases", "positive", "--max-examples", "1")
    for shard in ("1/2", "2/2"):
        assert run(*common, "--shard", shard, "--report-dir", str(tmp_path / shard[0])) == 0
    shards = [read_results(tmp_path / n)["shard"] for n in "12"]
    assert [(s["index"], s["total"]) for s in shards] == [(1, 2), (2, 2)]
    assert shards[0]["run"] == shards[1]["run"]
    parts = [read_results(tmp_path / n)["compatibility"]["operations"]["promised"] for n in "12"]
    assert sum(parts) == 4 and 0 not in parts
    assert main(["report", "merge", str(tmp_path / "1"), "-o", str(tmp_path / "all")]) == 2
    assert "missing 2/2" in capsys.readouterr().err
    code = main(["report", "merge", str(tmp_path / "1"), str(tmp_path / "2"), "-o", str(tmp_path / "all")])
    assert code == 0
    merged = read_results(tmp_path / "all")
    assert merged["profile"] == "chat"
    assert merged["compatibility"]["operations"]["promised"] == 4
    assert merged["compatibility"]["score"] == 100.0
    capsys.readouterr()


def test_the_pytest_plugin_takes_both_options(tmp_path: Path, capsys) -> None:
    base = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-q", "-c", os.devnull]
    plugin_list = ("--oc-include", "listModels", "--oc-phases", "positive", "--oc-max-examples", "2")
    base += ["--rootdir", str(tmp_path), "--oc-report-dir", str(tmp_path / "reports"), *plugin_list]
    # like any bad option under plain pytest: an error while collecting the suite, nothing sent
    assert pytest.main([*base, "--oc-baseline", str(tmp_path / "missing.yaml")]) != pytest.ExitCode.OK
    captured = capsys.readouterr()
    assert "missing.yaml: no such file" in captured.out + captured.err
    assert not (tmp_path / "reports").exists()
    code = pytest.main([*base, "--oc-profile", "chat", "--oc-emulator-fault", "missing-request-id"])
    capsys.readouterr()
    assert code == pytest.ExitCode.OK
    results = read_results(tmp_path / "reports")
    assert results["profile"] == "chat" and results["compatibility"]["score"] == 100.0
