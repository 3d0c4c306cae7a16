"""The pytest11 plugin is loaded in every pytest session of an environment: it must not take option
names that other plugins own (pytest-timeout's --timeout, pytest-profiling's --profile)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.reports.jsonfile import read_results

pytest.importorskip("pytest_timeout")
pytest.importorskip("pytest_profiling")


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_an_unrelated_test_file_runs_beside_timeout_and_profiling(tmp_path: Path) -> None:
    (tmp_path / "test_mine.py").write_text("import time\n\ndef test_sleeps():\n    time.sleep(3)\n")
    done = _pytest("-q", "--timeout", "1", "test_mine.py", cwd=tmp_path)
    # pytest-timeout owns --timeout and fires: the plugin did not swallow the option
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Timeout" in done.stdout and "conflicting option" not in done.stderr
    done = _pytest("-q", "--profile", "test_mine.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "prof" / "combined.prof").exists()  # pytest-profiling's --profile


def test_the_suite_runs_beside_timeout_and_profiling(tmp_path: Path) -> None:
    args = [
        "--pyargs",
        "conformance.suite",
        "-q",
        "--timeout",
        "240",
        "-c",
        os.devnull,
        "--rootdir",
        str(tmp_path),
    ]
    args += ["--oc-include", "listModels", "--oc-phases", "positive", "--oc-max-examples", "2"]
    done = _pytest(*args, "--oc-report-dir", str(tmp_path / "reports"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    operations = read_results(tmp_path / "reports").operations
    assert [(r.operation_id, r.phase) for r in operations] == [("listModels", "positive")]


def test_the_cli_runs_beside_timeout_and_profiling(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--include", "listModels", "--phases", "positive"]
        + ["--max-examples", "1", "--timeout", "30", "--report-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
