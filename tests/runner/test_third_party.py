"""A server nobody here wrote: llmock 0.2.2 (`llmock serve`), skipped where it is not on PATH (`.ci/run`
installs it in an environment of its own)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conformance.cli import main
from tests.runner.support import free_port, read_results

LLMOCK = shutil.which("llmock")


@pytest.mark.skipif(LLMOCK is None, reason="needs llmock 0.2.2 (pip install llmock==0.2.2)")
def test_llmock_finishes_names_what_it_lacks_and_only_true_deviations(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    port = free_port()
    server = subprocess.Popen(
        [str(LLMOCK), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, "llmock did not start"
            time.sleep(0.2)
        code = main(
            ["run", "--target", f"http://127.0.0.1:{port}/v1", "--target-kind", "test-server"]
            + ["--include", "Files,Responses,Models", "--max-examples", "2", "--report-dir", str(tmp_path)]
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    out = capsys.readouterr().out
    results = read_results(tmp_path)
    assert code == 1 and "Traceback" not in out, out
    outcomes = {(r["operation_id"], r["outcome"]) for r in results["operations"]}
    # no GET /files, no GET /responses/{id}: not implemented, never lifecycle findings
    assert ("listFiles", "not-implemented") in outcomes and ("getResponse", "not-implemented") in outcomes
    found = [v for r in results["operations"] for v in r["violations"]]
    assert not [v for v in found if v["check"].startswith("lifecycle.")], found
    # checked by hand against llmock 0.2.2: each is a true deviation
    messages = {(v["check"], v["operation_id"], v["message"]) for v in found}
    assert ("response.schema", "deleteFile", '"file.deleted" is not one of "file"') in messages
    assert (
        "auth.required",
        "listModels",
        "a request with no credentials was answered 200, not refused",
    ) in messages
