"""docs/ci.md's GitHub Actions workflow, run as pasted (its `run:` steps, read from the doc) against the
emulator served on 127.0.0.1: green on a conforming server, red with annotations on a new deviation."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("Run the suite", "Gate on the baseline")
# scoped through the options' environment variables, so the recipe's commands run unchanged and fast
SCOPE = {"OPENAI_CONFORMANCE_INCLUDE": "retrieveModel,listModels", "OPENAI_CONFORMANCE_PHASES": "positive"}


def recipe_steps() -> list[str]:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    section = text.split("## GitHub Actions", 1)[1]
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    steps = next(iter(workflow["jobs"].values()))["steps"]
    named = {s.get("name"): s["run"] for s in steps if "run" in s}
    return [named[name] for name in STEPS]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(*faults: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    args = [sys.executable, "-m", "conformance", "emulator", "--host", "127.0.0.1", "--port", str(port)]
    for fault in faults:
        args += ["--fault", fault]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("the emulator did not start")


def _workflow(cwd: Path, url: str) -> tuple[int, str]:
    """The recipe's steps in order, each as GitHub runs a `run:` (bash -e); the first failing one ends it."""
    env = {**os.environ, **SCOPE, "CONFORMANCE_BASE_URL": url, "OPENAI_API_KEY": "sk-test"}
    env.update(GITHUB_ACTIONS="true", CI="true", PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    log = ""
    for script in recipe_steps():
        done = subprocess.run(
            ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
        )
        log += done.stdout + done.stderr
        if done.returncode:
            return done.returncode, log
    return 0, log


@pytest.mark.parametrize("faults", [(), ("null-not-nullable",)], ids=["conforming", "faulty"])
def test_the_documented_workflow_is_green_then_red(tmp_path: Path, faults: tuple[str, ...]) -> None:
    (tmp_path / "conformance-baseline.yaml").write_text("version: 1\naccepted: []\n")
    server, url = _serve(*faults)
    try:
        code, log = _workflow(tmp_path, url)
    finally:
        server.terminate()
        server.wait(10)
    if not faults:
        assert code == 0, log
        assert "::error" not in log
    else:
        assert code == 1, log
        assert "::error file=reports/" in log and "title=response.schema retrieveModel" in log
