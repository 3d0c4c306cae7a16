"""`fuzz` groups failures and keeps Hypothesis' database; the pytest plugin's items, -k, xdist and allure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis.database import DirectoryBasedExampleDatabase

from conformance.cli import main
from conformance.commands.fuzz import parse_time
from conformance.errors import ConformanceError
from tests.runner.support import json_response, read_results

BROKEN_MODELS = {"object": "list", "data": [{"id": 7, "object": "model"}]}


def test_parse_time() -> None:
    assert parse_time("90") == 90 and parse_time("90s") == 90 and parse_time("10m") == 600
    assert parse_time("1h30m") == 5400
    with pytest.raises(ConformanceError, match="--max-time"):
        parse_time("soon")


def test_fuzz_groups_failures_and_keeps_the_database(tmp_path: Path, capsys, serve, recorder) -> None:
    rec = recorder({("GET", "/v1/models"): json_response(BROKEN_MODELS)})
    url = serve(rec.app)
    args = [
        "fuzz",
        "--target",
        url,
        "--include",
        "listModels",
        "--max-time",
        "15s",  # enough to reach the Hypothesis phases on a loaded 2-core machine (8 s was not, under land)
        "--report-dir",
        str(tmp_path),
    ]
    code = main(args)
    out = capsys.readouterr().out
    assert code == 1, out
    assert "distinct failures" in out and "listModels" in out
    fuzz = json.loads((tmp_path / "latest" / "fuzz.json").read_text())
    assert fuzz["groups"] and fuzz["rounds"] >= 2, fuzz  # later rounds must keep the saved examples
    signatures = [tuple(g["signature"]) for g in fuzz["groups"]]
    assert len(signatures) == len(set(signatures))  # one group per signature
    group = fuzz["groups"][0]
    assert group["operation_id"] == "listModels" and group["count"] >= 1
    assert group["minimal"]["request"]["method"] == "GET"
    assert "curl" in group["minimal"]["reproduction"]
    database = tmp_path / "hypothesis"
    saved = DirectoryBasedExampleDatabase(str(database))  # what the next fuzz replays first
    assert any(list(saved.fetch(f"listModels:{mode}".encode())) for mode in ("positive", "negative"))
    assert read_results(tmp_path)["exit_code"] == 1


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def test_items_per_operation_and_phase_with_k_on_tags(tmp_path: Path, capsys) -> None:
    code = pytest.main(
        [
            "--pyargs",
            "conformance.suite",
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "-q",
            "-k",
            "Moderations and not usage",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    names = {line.split("::")[-1] for line in out.splitlines() if "::" in line}
    assert names == {
        "test_examples[createModeration]",
        "test_positive[createModeration]",
        "test_negative[createModeration]",
    }


def test_xdist_workers_merge_into_one_report_with_allure_steps(tmp_path: Path) -> None:
    allure_dir = tmp_path / "allure"
    done = _pytest(
        "-n",
        "2",
        "-q",
        "--oc-include",
        "Models,Moderations",
        "--oc-phases",
        "positive,negative",
        "--oc-max-examples",
        "2",
        f"--alluredir={allure_dir}",
        "--oc-report-dir",
        str(tmp_path / "reports"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = read_results(tmp_path / "reports")
    keys = [(r["operation_id"], r["phase"]) for r in results["operations"]]
    assert len(keys) == len(set(keys)) == 8  # 4 operations x 2 phases, from two workers, once each
    assert results["requests_sent"] > 0

    allure = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    assert len(allure) == 8
    moderation = next(r for r in allure if r["name"] == "test_positive[createModeration]")
    labels = {(label["name"], label["value"]) for label in moderation["labels"]}
    assert ("operation", "createModeration") in labels and ("tag", "Moderations") in labels
    assert ("story", "positive") in labels
    steps = moderation["steps"]
    assert steps and all(step["name"].startswith("POST /moderations -> ") for step in steps)
    attachments = {a["name"] for step in steps for a in step.get("attachments", [])}
    assert "request" in attachments and any(name.startswith("response ") for name in attachments)
