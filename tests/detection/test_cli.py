"""`openai-conformance run --emulator-fault` and `openai-conformance emulator --fault` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.cli import main
from conformance.emulator.faults import FAULTS
from conformance.errors import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS


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
    assert "FAILED examples  createChatCompletion: sse.stream" in out
    found = [v for r in results(tmp_path)["operations"] for v in r["violations"]]
    assert {v["check"] for v in found} == {"sse.stream"}
    assert all(v["request"]["body"]["stream"] is True for v in found)


def test_run_scenarios_against_a_faulty_emulator(tmp_path: Path, capsys) -> None:
    code = main(
        ["run", "--emulator-fault", "limit-ignored", "--include", "listAssistants", "--phases", "scenarios"]
        + ["--report-dir", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == EXIT_VIOLATIONS, out
    assert "FAILED scenarios listAssistants: pagination.page, pagination.traversal" in out


def test_run_against_the_clean_emulator_passes(tmp_path: Path, capsys) -> None:
    code = run(tmp_path)
    assert code == EXIT_OK, capsys.readouterr().out
    assert all(not r["violations"] for r in results(tmp_path)["operations"])


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
