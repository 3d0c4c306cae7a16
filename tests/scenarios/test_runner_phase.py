"""The scenarios run in the runner's `scenarios` phase: `openai-conformance run --phases scenarios`."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.cli import main
from conformance.scenarios import registered


def test_run_scenarios_phase_against_the_emulator(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "run",
            "--phases",
            "scenarios",
            "--include",
            "createThreadAndRun,cancelRun,listMessages,modifyMessage",
            "--report-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    results = json.loads((tmp_path / "latest" / "results.json").read_text())
    rows = {r["operation_id"]: r for r in results["operations"] if r["phase"] == "scenarios"}
    expected = {
        registered()[name][0]
        for name in ("thread-and-run", "assistants-cancel", "pagination-listMessages", "crud-messages")
    }
    assert set(rows) == expected
    assert all(r["outcome"] == "passed" and r["requests"] > 0 for r in rows.values())
    assert "lifecycle" in rows["cancelRun"]["families"]
    assert "pagination" in rows["listMessages"]["families"]


def test_read_only_run_reports_scenarios_as_skipped(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "run",
            "--phases",
            "scenarios",
            "--include",
            "createRun",
            "--read-only",
            "--report-dir",
            str(tmp_path),
        ]
    )
    capsys.readouterr()
    assert code == 0
    results = json.loads((tmp_path / "latest" / "results.json").read_text())
    (row,) = [r for r in results["operations"] if r["phase"] == "scenarios"]
    assert row["outcome"] == "skipped" and "--read-only" in row["reason"]
