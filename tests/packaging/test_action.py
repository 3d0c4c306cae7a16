"""action.yml, run step by step as GitHub runs a composite action: the `run:` steps in bash with their
`env:` and `if:` evaluated, actions/setup-python skipped (this python is the one set up) and
actions/upload-artifact checked for what it would upload. The install step installs the action's own
checkout for real, offline and into a folder of the test (pip's environment variables), so the
run steps use that copy, as a workflow would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCOPE = "--include retrieveModel,listModels --phases positive --max-examples 2"
KEY = "sk-action-test-5f1e0c9a7b3d"


def _lookup(name: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    if name.startswith("inputs."):
        return inputs[name.removeprefix("inputs.")]
    found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", name)
    assert found, f"an expression this test does not evaluate: {name}"
    return outputs.get(found.group(1), {}).get(found.group(2), "")


def _expand(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: _lookup(m.group(1), inputs, outputs), str(text))


def _condition(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> bool:
    """`a == 'x' && b != ''`: the only shape of `if:` the action uses."""
    result = True
    for part in text.split("&&"):
        left, op, right = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", part).groups()
        equal = _lookup(left, inputs, outputs) == right
        result = result and (equal if op == "==" else not equal)
    return result


def _read_outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_action(work: Path, site: Path, **given: str) -> dict[str, Any]:
    """Run action.yml's steps in `work` with inputs `given` (the defaults for the rest)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    unknown = set(given) - set(action["inputs"])
    assert not unknown, f"not inputs of the action: {unknown}"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()} | given
    summary = work / "step-summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_", "GITHUB_"))} | {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_STEP_SUMMARY": str(summary),
        # the install step installs the action's checkout into `site`, offline (its dependencies are here)
        "PIP_TARGET": str(site),
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads this variable inverted: 0 means --no-build-isolation
        "PIP_UPGRADE": "1",
        "PYTHONPATH": str(site),
        "PATH": f"{site / 'bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    outputs: dict[str, dict[str, str]] = {}
    log, uploads, failed = "", [], None
    for number, step in enumerate(action["runs"]["steps"]):
        if "if" in step and not _condition(step["if"], inputs, outputs):
            continue
        if "uses" in step:
            used = step["uses"].split("@")[0]
            assert used in ("actions/setup-python", "actions/upload-artifact"), used
            if used == "actions/upload-artifact":
                uploads.append({k: _expand(v, inputs, outputs) for k, v in step["with"].items()})
            continue
        assert step["shell"] == "bash"
        output_file = work / f"output-{number}"
        step_env = env | {k: _expand(v, inputs, outputs) for k, v in (step.get("env") or {}).items()}
        step_env["GITHUB_OUTPUT"] = str(output_file)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=work,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        log += done.stdout + done.stderr
        outputs[step.get("id", str(number))] = _read_outputs(output_file)
        if done.returncode:
            failed = {"step": step["name"], "code": done.returncode}
            break
    return {
        "failed": failed,
        "log": log,
        "outputs": {k: _expand(v["value"], inputs, outputs) for k, v in action["outputs"].items()},
        "uploads": uploads,
        "summary": summary.read_text() if summary.exists() else "",
    }


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def test_the_action_passes_on_a_conforming_target_and_uploads_the_reports(work: Path, tmp_path: Path) -> None:
    # args are split like a shell command line: the quoted -k expression stays one argument
    args = f'{SCOPE} -- -k "retrieveModel or listModels"'
    done = run_action(work, tmp_path / "site", target="emulator", args=args, **{"api-key": KEY})
    assert done["failed"] is None, done["log"]
    # the run used the copy the install step installed from the action's checkout
    assert (tmp_path / "site" / "conformance" / "data" / "deviations.yaml").is_file()
    assert done["outputs"]["exit-code"] == "0"
    report = work / done["outputs"]["report"]
    assert report.parent == work / "conformance-reports" and report.name != "latest"
    assert done["uploads"] == [
        {"name": "conformance-reports", "path": done["outputs"]["report"], "retention-days": "30"}
    ]
    assert {"results.json", "junit.xml", "summary.md", "report.html"} <= {p.name for p in report.iterdir()}
    assert done["summary"] == (report / "summary.md").read_text()
    assert "## openai-conformance: PASS" in done["summary"]
    assert "::error" not in done["log"]
    everything = done["log"] + "".join(p.read_text() for p in report.iterdir() if p.is_file())
    assert KEY not in everything


def test_the_action_fails_on_a_new_deviation_and_a_baseline_accepts_it(work: Path, tmp_path: Path) -> None:
    faulty = f"{SCOPE} --emulator-fault null-not-nullable"
    done = run_action(work, tmp_path / "site", target="emulator", args=faulty, upload="false")
    # the summary was written before the last step failed the job, with the run's exit code
    assert done["failed"] == {"step": "Verdict", "code": 1}, done["log"]
    assert done["outputs"]["exit-code"] == "1" and done["uploads"] == []
    assert "::error file=conformance-reports/" in done["log"]
    assert "title=response.schema retrieveModel" in done["log"]
    assert "FAIL" in done["summary"] and "`retrieveModel`" in done["summary"]

    baseline = work / "conformance-baseline.yaml"
    baseline.write_text(
        "version: 1\naccepted:\n  - check: response.schema\n    operation_id: retrieveModel\n"
        "    path: $.owned_by\n    reason: a known gap\n"
    )
    again = run_action(
        work, tmp_path / "site", target="emulator", args=faulty, baseline=baseline.name, upload="false"
    )
    assert again["failed"] is None, again["log"]
    assert again["outputs"]["exit-code"] == "0"
    assert "::error" not in again["log"]


def test_a_run_that_writes_no_report_says_so_and_fails(work: Path, tmp_path: Path) -> None:
    done = run_action(work, tmp_path / "site", target="emulator", args="--max-examples many")
    assert done["failed"] == {"step": "Verdict", "code": 2}, done["log"]
    assert done["outputs"]["report"] == "" and done["uploads"] == []
    assert "wrote no reports (exit code 2)" in done["summary"]
    assert "Traceback" not in done["log"]


def test_the_documented_usage_names_only_inputs_the_action_has() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    section = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8").split("## The GitHub Action", 1)[1]
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    steps = next(iter(workflow["jobs"].values()))["steps"]
    used = [s for s in steps if s.get("uses", "").split("@")[0].endswith("/openai-conformance")]
    assert len(used) == 1
    given = set(used[0]["with"])
    assert given <= set(action["inputs"])
    assert {name for name, spec in action["inputs"].items() if spec.get("required")} <= given
    # every input is in the documented table
    table = re.findall(r"^\| `([\w-]+)` \|", section, re.M)
    assert table == list(action["inputs"])
