"""`openai-conformance proxy` and `replay` as a user runs them: a real process, signals, exit codes."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest

from conformance.cli import main
from conformance.proxy import CassetteWriter
from tests.proxy.proxy_servers import proxied, serve
from tests.proxy.proxy_upstreams import BadUpstream, GoodUpstream

KEY = "sk-proj-CLIKEYabcdefghijklmnopqrstuvwxyz0123456789"


def start_proxy(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start the proxy command; returns the process and the base URL it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "proxy", "--listen", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if match is None:
        process.kill()
        raise AssertionError(f"the proxy did not start: {line}{process.stderr.read()}")
    return process, match.group(1)


def stop(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> tuple[int, str, str]:
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_proxy_command_records_reports_and_exits_0(tmp_path, sig):
    cassette = tmp_path / "good.jsonl"
    reports = tmp_path / "reports"
    upstream = GoodUpstream()
    with serve(upstream.app) as server:
        process, base = start_proxy(
            "--upstream", server.url + "/v1", "--record", str(cassette), "--report-dir", str(reports), "-v"
        )
        try:
            sdk = openai.OpenAI(base_url=base, api_key=KEY, max_retries=0, timeout=20)
            assert [m.id for m in sdk.models.list()] == ["gpt-4o-mini", "gpt-4o"]
            stream = sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Hello!"
        finally:
            code, out, err = stop(process, sig)
    assert code == 0, err
    assert "2 exchanges, 2 operations, 0 violations" in err
    assert re.search(r"EXCHANGE listModels GET /models -> 200 \d+ ms ok", err)
    assert KEY not in out + err + cassette.read_text()
    results = json.loads((reports / "latest" / "results.json").read_text())
    assert results["counts"]["violations"] == 0
    assert {op["operation_id"] for op in results["operations"]} == {"listModels", "createChatCompletion"}
    assert main(["replay", str(cassette), "--quiet"]) == 0


def test_violations_print_live_and_exit_1_then_replay_agrees(tmp_path, capsys):
    cassette = tmp_path / "bad.jsonl"
    with serve(BadUpstream().app) as server:
        process, base = start_proxy(
            "--upstream", server.url + "/v1", "--record", str(cassette), "--report-dir", str(tmp_path / "r")
        )
        try:
            response = httpx.get(base + "/models", headers={"authorization": f"Bearer {KEY}"})
            assert response.status_code == 200
            assert process.stderr is not None
            live = process.stderr.readline()  # printed while the proxy is still running
            assert live.startswith("VIOLATION listModels GET /models -> 200 [response.schema]")
            assert httpx.get(base + "/models/gpt-4o").status_code == 502
        finally:
            code, _, err = stop(process)
    assert code == 1, err
    assert "UPSTREAM retrieveModel GET /models/gpt-4o the client got 502 upstream_invalid_json" in err
    assert main(["replay", str(cassette), "--json"]) == 1
    replayed = json.loads(capsys.readouterr().out)
    checks = sorted(v["check"] for op in replayed["operations"] for v in op["violations"])
    assert checks.count("response.schema") == 2  # owned_by missing; a body that is not JSON
    assert KEY not in cassette.read_text()


def test_usage_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["proxy", "--upstream", "ftp://example.com", "--listen", "127.0.0.1:0"]) == 2
    assert main(["proxy", "--upstream", "http://127.0.0.1:9/v1", "--listen", "nonsense"]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["proxy", "--upstream", "http://127.0.0.1:9/v1", "--listen", f"127.0.0.1:{port}"]) == 2
    assert main(["replay", str(tmp_path / "missing.jsonl")]) == 2
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"type": "exchange", "request": {"method": "GET", "path": "/models"}}\nnot json\n')
    assert main(["replay", str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 5 and all(line.startswith("openai-conformance: error: ") for line in err)
    assert "expected an http(s) URL" in err[0]
    assert "expected HOST:PORT" in err[1]
    assert f"cannot listen on 127.0.0.1:{port}" in err[2]
    assert "cannot read recording" in err[3] and "missing.jsonl" in err[3]
    assert "broken.jsonl:2: not a JSON line" in err[4]


def test_replay_against_another_spec_version(spec, tmp_path, capsys):
    old = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "openai-openapi-a173760.yaml"
    if not old.exists():
        pytest.skip("the shared spec versions are not here")
    cassette = tmp_path / "traffic.jsonl"
    upstream = GoodUpstream()
    with serve(upstream.app) as server:
        writer = CassetteWriter(cassette, server.url + "/v1", spec)
        with proxied(spec, server.url + "/v1", writer) as (proxy, base):
            sdk = openai.OpenAI(base_url=base, api_key=KEY, max_retries=0)
            sdk.models.list()
            sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
            httpx.post(base + "/responses", json={"model": "gpt-4o", "input": "hi"})  # 404 from this upstream
    assert main(["replay", str(cassette), "--json"]) == 1  # this upstream's 404 is no error envelope
    current = json.loads(capsys.readouterr().out)
    assert {op["operation_id"]: op["outcome"] for op in current["operations"]} == {
        "listModels": "passed",
        "createChatCompletion": "passed",
        "createResponse": "failed",
    }
    assert all("host" not in v["request"]["headers"] for v in current["operations"][2]["violations"])
    code = main(["replay", str(cassette), "--spec", str(old), "--json"])
    replayed = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    assert (
        Path(replayed["spec"]["location"]).resolve() == Path(old).resolve()
        and replayed["spec"]["sha256"] != current["spec"]["sha256"]
    )
    assert replayed["options"]["recorded_with"]["sha256"] == current["spec"]["sha256"]
    outcomes = {op["operation_id"]: op["outcome"] for op in replayed["operations"]}
    # the old spec (110 operations) predates the Responses API: that traffic matches nothing there
    assert outcomes["POST /responses"] == "skipped"
