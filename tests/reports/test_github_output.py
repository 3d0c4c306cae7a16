"""CI output: `--format github` annotations, a plain CI log, and `run --json` on stdout."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conformance.cli import main
from conformance.reports import github
from conformance.reports.groups import group_findings
from tests.reports.report_fixtures import PLANTED

FAULTY = ("--include", "listModels,retrieveModel", "--phases", "positive", "--max-examples", "1")
ANNOTATION = re.compile(r"^::error file=([^,]+),title=([^:]+)::(.+)$")


def test_a_workflow_command_escapes_what_the_runner_would_split_on() -> None:
    line = github.command("error", "50% off\nnext", file="a,b.html", title="x: y")
    assert line == "::error file=a%2Cb.html,title=x%3A y::50%25 off%0Anext"
    assert github.default_format({"GITHUB_ACTIONS": "true"}) == "github"
    assert github.default_format({"CI": "true"}) == "text"


def test_one_annotation_per_new_deviation_worst_first(make_run) -> None:
    results = make_run(planted=PLANTED)
    groups = [g for g in group_findings(results) if g.kind == "new"]
    lines = github.render(results, file="reports/r/report.html").splitlines()
    assert len(lines) == len(groups) > 1
    for line, group in zip(lines, groups, strict=True):
        match = ANNOTATION.match(line)
        assert match, line
        assert match.group(1) == "reports/r/report.html"
        assert match.group(2) == f"{group.check} {group.operation_id} ({group.count}×)"
        assert match.group(3).startswith(group.message.replace("%", "%25")[:40])


def test_a_ci_log_is_plain_and_github_annotates_each_deviation(tmp_path: Path, capfd, monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # --format github by default
    monkeypatch.chdir(tmp_path)
    code = main(["run", *FAULTY, "--emulator-fault", "null-not-nullable", "--report-dir", "reports"])
    captured = capfd.readouterr()
    out = captured.out
    assert code == 1
    assert "\x1b" not in out + captured.err  # no colour, no cursor movement, no progress display
    annotations = [ANNOTATION.match(line) for line in out.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and all(annotations)
    folder = next((tmp_path / "reports").glob("2*"))
    assert annotations[0].group(1) == f"reports/{folder.name}/report.html"
    assert annotations[0].group(2) == "response.schema retrieveModel (1×)"
    assert "owned_by" in annotations[0].group(3)
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert main(["run", *FAULTY, "--emulator-fault", "null-not-nullable", "--report-dir", "r2"]) == 1
    assert "::error" not in capfd.readouterr().out


def test_run_json_prints_the_results_document_and_nothing_else(tmp_path: Path, capfd) -> None:
    code = main(
        ["run", *FAULTY, "--emulator-fault", "null-not-nullable", "--report-dir", str(tmp_path), "--json"]
    )
    captured = capfd.readouterr()
    assert code == 1
    document = json.loads(captured.out)  # the whole of stdout is one JSON document
    written = json.loads((tmp_path / "latest" / "results.json").read_text())
    assert document == written and document["exit_code"] == 1
    assert "exit code 1" in captured.err and "1 deviation" in captured.err


def test_under_ci_pytest_is_told_not_to_colour(monkeypatch) -> None:
    from conformance.commands.run import pytest_args
    from conformance.runner.config import resolve

    config = resolve({}, environ={}, pyproject=False)
    monkeypatch.setenv("CI", "true")
    assert "--color=no" in pytest_args(config, "r", []) and "--oc-show-progress" not in pytest_args(
        config, "r", []
    )
    assert "--color=no" not in pytest_args(config, "r", ["--color=yes"])
    monkeypatch.delenv("CI")
    assert "--color=no" not in pytest_args(config, "r", [])
