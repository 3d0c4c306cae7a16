"""`openai-conformance run --emulator-fault` and `openai-conformance emulator --fault` end to end."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.emulator import create_app
from conformance.emulator.faults import FAULTS
from conformance.errors import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS
from conformance.runner.target import LocalServer

FOUR_FAULTS = "limit-ignored,stream-without-done,wrong-object-constant,usage-mismatch"


def results(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "latest" / "results.json").read_text())


def run(report_dir: Path, *args: str) -> int:
    return main(
        [
            "run",
            "--include",
            "createChatCompletion",
            "--phases",
            "examples",
            "--report-dir",
            str(report_dir),
            *args,
        ]
    )


def test_run_against_a_faulty_emulator_names_the_fault_check(tmp_path: Path, capsys) -> None:
    code = run(tmp_path, "--emulator-fault", "stream-without-done")
    out = capsys.readouterr().out
    assert code == EXIT_VIOLATIONS, out
    assert "sse.stream  createChatCompletion  $.events[" in out
    assert ": the stream does not end with data: [DONE]" in out
    found = [
        v for r in results(tmp_path)["operations"] for v in r["violations"] if not v.get("known_deviation")
    ]
    assert {v["check"] for v in found} == {"sse.stream"}
    assert all(v["request"]["body"]["stream"] is True for v in found)


def test_run_scenarios_against_a_faulty_emulator(tmp_path: Path, capsys) -> None:
    code = main(
        ["run", "--emulator-fault", "limit-ignored", "--include", "listAssistants", "--phases", "scenarios"]
        + ["--report-dir", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == EXIT_VIOLATIONS, out
    assert re.search(r"pagination\.page  listAssistants  \$\.data: \d+ items exceed limit 2", out), out
    assert "pagination.traversal  listAssistants  $: " in out


def test_run_against_the_clean_emulator_passes(tmp_path: Path, capsys) -> None:
    code = run(tmp_path)
    assert code == EXIT_OK, capsys.readouterr().out
    failing = [
        v for r in results(tmp_path)["operations"] for v in r["violations"] if not v.get("known_deviation")
    ]
    assert failing == []


def test_unknown_fault_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    code = run(tmp_path, "--emulator-fault", "stream-without-done,no-such-fault")
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "unknown fault 'no-such-fault'" in err and "Traceback" not in err


def test_fault_on_a_remote_target_is_a_usage_error(tmp_path: Path, capsys) -> None:
    code = run(tmp_path, "--emulator-fault", "empty-404", "--target", "http://127.0.0.1:9/v1")
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "--emulator-fault needs --target emulator" in err


def test_emulator_lists_the_catalogue_and_rejects_unknown_faults(capsys) -> None:
    assert main(["emulator", "--list-faults"]) == EXIT_OK
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == list(FAULTS)
    assert main(["emulator", "--fault", "no-such-fault", "--port", "0"]) == EXIT_USAGE
    assert "unknown fault 'no-such-fault'" in capsys.readouterr().err


def _reproductions(out: str) -> dict[str, str]:
    """The curl command of each numbered reproduction the terminal printed, by its title line."""
    found, title, lines = {}, None, []
    for line in out.splitlines() + ["[end]"]:
        if re.match(r"\[\d+\] |\[end\]|reports: ", line):
            if title and lines:
                found[title] = "\n".join(lines)
            title, lines = line, []
        elif title and (line.startswith("    curl ") or (lines and line.startswith("      "))):
            lines.append(line.strip())
    return found


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_four_faults_each_deviation_says_why_and_its_reproduction_reproduces_it(
    tmp_path: Path, capsys, openai_spec
) -> None:
    code = main(
        ["run", "--emulator-fault", FOUR_FAULTS, "--include", "createAssistant,createChatCompletion"]
        + ["--phases", "examples", "--report-dir", str(tmp_path), "--show", "5"]
    )
    out = capsys.readouterr().out
    assert code == EXIT_VIOLATIONS, out
    assert re.search(r"\d+ deviations \(\d+ findings\) in 2 operations", out), out
    assert 'response.schema  createAssistant  $.object: "assistants" is not one of "assistant"' in out
    assert "object.invariants  createChatCompletion  $.usage.total_tokens: usage.total_tokens is not" in out
    assert "sse.stream  createChatCompletion  $.events[" in out
    serve = "openai-conformance emulator --port 8080 " + " ".join(
        f"--fault {f}" for f in FOUR_FAULTS.split(",")
    )
    assert serve in out
    repro = _reproductions(out)
    assert len(repro) == 3, out
    # pasted, against the emulator served with those faults (on a free port instead of 8080)
    server = LocalServer(create_app(openai_spec, faults=FOUR_FAULTS.split(",")))
    try:
        port = server.base_url.rsplit(":", 1)[1].split("/")[0]
        env = {**os.environ, "OPENAI_API_KEY": "sk-anything"}
        answers = {
            title: subprocess.run(
                ["bash", "-c", command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")],
                capture_output=True,
                text=True,
                env=env,
                timeout=30,
                check=True,
            ).stdout
            for title, command in repro.items()
        }
    finally:
        server.close()
    by_check = {title.split()[1]: answer for title, answer in answers.items()}
    assert json.loads(by_check["response.schema"])["object"] == "assistants"
    usage = json.loads(by_check["object.invariants"])["usage"]
    assert usage["total_tokens"] != usage["prompt_tokens"] + usage["completion_tokens"]
    assert "data: " in by_check["sse.stream"] and "[DONE]" not in by_check["sse.stream"]


@pytest.mark.parametrize("faults", [[], ["has-more-on-last-page", "terminal-status-reverts-on-read"]])
def test_by_url_a_last_page_that_claims_more_and_a_run_that_reopens_are_caught(
    tmp_path: Path, capsys, monkeypatch, openai_spec, faults: list[str]
) -> None:
    """The two faults a proxy measurement missed, by URL with no baseline: the clean run is clean."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    server = LocalServer(create_app(openai_spec, faults=faults))
    try:
        code = main(
            ["run", "--target", server.base_url, "--target-kind", "test-server", "--phases", "scenarios"]
            + ["--include", "listAssistants,createThreadAndRun", "--report-dir", str(tmp_path)]
        )
    finally:
        server.close()
    out = capsys.readouterr().out
    found = {v["check"] for r in results(tmp_path)["operations"] for v in r["violations"]}
    if not faults:
        assert code == EXIT_OK and not found, out
        return
    assert code == EXIT_VIOLATIONS, out
    assert {"pagination.traversal", "lifecycle.terminal"} <= found, found
