"""The run-results model: round trips, counts, outcomes, reproductions that really resend a request."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from conformance.reports import schema_errors
from conformance.results import Auth, OperationResult, RunResults, clean_target, reproduction
from tests.reports.report_fixtures import PLANTED, PLANTED_KEY, Violation, request_for


def test_round_trip_keeps_everything(make_run):
    run = make_run()
    data = run.to_dict()
    again = RunResults.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data
    assert again.operations[0].key == run.operations[0].key


def test_counts_and_exit_code_follow_the_violations(make_run):
    run = make_run()
    failing = {(p.operation_id, p.phase) for p in PLANTED}
    counts = run.counts()
    assert counts["failed"] == len(failing)
    assert counts["violations"] == counts["new_violations"] == len(PLANTED)
    assert counts["not-implemented"] == 2  # createImage, both phases
    assert run.exit_code == 1
    assert {r.key for r in run.operations if r.outcome == "failed"} == failing
    clean = make_run(planted=())
    assert clean.exit_code == 0 and clean.counts()["failed"] == 0


def test_a_special_exit_code_survives_settling(make_run):
    run = make_run()
    assert run.finish(exit_code=4) == 4  # budget spent wins over "violations"
    assert run.settle() == 4


def test_to_dict_conforms_to_the_shipped_schema(make_run):
    data = make_run().to_dict()
    assert schema_errors(data) == []
    data["operations"][0]["outcome"] = "kinda"
    del data["run_id"]
    errors = schema_errors(data)
    assert any("run_id" in e for e in errors) and any("kinda" in e for e in errors)


def test_target_never_keeps_credentials():
    assert clean_target("https://user:sk-secret123456@proxy.example/v1?x=1") == "https://proxy.example/v1"
    assert RunResults(target="http://a:b@127.0.0.1:8080/v1").target == "http://127.0.0.1:8080/v1"
    assert RunResults(target="emulator").target == "emulator"


def test_add_violation_attaches_a_reproduction(openai_spec):
    op = openai_spec.operation("createAssistant")
    result = OperationResult.for_operation(op, "positive")
    v = Violation(
        "response.schema",
        "error",
        "schema",
        op.id,
        "bad",
        path="$.id",
        request=request_for(openai_spec, op.id),
    )
    data = result.add_violation(v, "https://api.example.test/v1")
    assert result.outcome == "failed" and result.tags == ["Assistants"]
    assert set(data["reproduction"]) == {"curl", "python"}
    assert PLANTED_KEY not in json.dumps(data["reproduction"])
    assert "$OPENAI_API_KEY" in data["reproduction"]["curl"]


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def _record(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        url = urlsplit(self.path)
        self.seen.append(
            {
                "method": self.command,
                "path": url.path,
                "query": parse_qs(url.query),
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": self.rfile.read(length),
            }
        )
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_DELETE = _record

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


def _replay_env() -> dict[str, str]:
    return {
        **os.environ,
        "OPENAI_API_KEY": "sk-from-the-environment-123",
        "OPENAI_ORG_ID": "org-env",
        "OPENAI_PROJECT_ID": "proj-env",
    }


@pytest.mark.parametrize("operation_id", ["createAssistant", "listAssistants", "deleteAssistant"])
def test_python_reproduction_resends_the_request(openai_spec, recorder, operation_id):
    base, seen = recorder
    request = request_for(openai_spec, operation_id)
    snippet = reproduction(request.to_dict(), base)["python"]
    done = subprocess.run([sys.executable, "-c", snippet], env=_replay_env(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    (got,) = seen
    assert got["method"] == request.method and got["path"] == "/v1" + request.path
    assert got["query"] == {k: [str(v)] for k, v in request.query.items()}
    assert got["headers"]["authorization"] == "Bearer sk-from-the-environment-123"
    assert got["headers"]["openai-organization"] == "org-env"
    if request.body is not None:
        assert json.loads(got["body"]) == request.body


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_reproduction_resends_the_request(openai_spec, recorder):
    base, seen = recorder
    request = request_for(openai_spec, "createAssistant")
    command = reproduction(request.to_dict(), base)["curl"]
    done = subprocess.run(["sh", "-c", command], env=_replay_env(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    (got,) = seen
    assert (got["method"], got["path"]) == ("POST", "/v1/assistants")
    assert got["headers"]["authorization"] == "Bearer sk-from-the-environment-123"
    assert got["headers"]["content-type"] == "application/json"
    assert json.loads(got["body"]) == request.body


def test_reproduction_sends_the_key_in_the_runs_header(openai_spec, recorder):
    """An Azure run (`--auth-header api-key --api-key-env AZURE_OPENAI_API_KEY --query api-version=...`)
    is resent with its header and query, not as `Authorization: Bearer`."""
    base, seen = recorder
    request = request_for(openai_spec, "listAssistants").to_dict()
    request["query"] = {**request["query"], "api-version": "2024-10-21"}
    recorded = {k: v for k, v in request["headers"].items() if k.lower() != "authorization"}
    request["headers"] = {**recorded, "api-key": PLANTED_KEY}
    made = reproduction(request, base, Auth("api-key", "AZURE_OPENAI_API_KEY"))
    assert PLANTED_KEY not in json.dumps(made)
    assert '-H "api-key: $AZURE_OPENAI_API_KEY"' in made["curl"] and "Authorization" not in made["curl"]
    env = {**_replay_env(), "AZURE_OPENAI_API_KEY": "azure-from-the-environment"}
    done = subprocess.run([sys.executable, "-c", made["python"]], env=env, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    (got,) = seen
    assert got["headers"]["api-key"] == "azure-from-the-environment"
    assert "authorization" not in got["headers"]
    assert got["query"]["api-version"] == ["2024-10-21"]


def test_multipart_reproduction_sends_the_file(recorder):
    base, seen = recorder
    request = {
        "method": "POST",
        "path": "/files",
        "media_type": "multipart/form-data",
        "headers": {"Authorization": f"Bearer {PLANTED_KEY}"},
        "body": {"purpose": "fine-tune"},
        "files": {"file": ["train.jsonl", 7, "application/jsonl"]},
    }
    snippet = reproduction(request, base)["python"]
    assert PLANTED_KEY not in snippet
    done = subprocess.run([sys.executable, "-c", snippet], env=_replay_env(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    (got,) = seen
    assert got["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="purpose"' in got["body"] and b'filename="train.jsonl"' in got["body"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("tool", ["curl", "python"])
def test_raw_body_reproduction_keeps_the_content_type_it_was_sent_with(recorder, tool):
    """The negative `content-type` mutation sends JSON bytes as text/plain: curl's `--data-binary` alone
    would say application/x-www-form-urlencoded and the target answers something else."""
    base, seen = recorder
    request = {
        "method": "POST",
        "path": "/embeddings",
        "media_type": "text/plain",
        "headers": {"Authorization": f"Bearer {PLANTED_KEY}"},
        "content": '{"model": "text-embedding-3-small", "input": "hi"}',
        "mode": "negative",
        "breaks": "content-type",
    }
    made = reproduction(request, base)[tool]
    command = ["sh", "-c", made] if tool == "curl" else [sys.executable, "-c", made]
    done = subprocess.run(command, env=_replay_env(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    (got,) = seen
    assert got["headers"]["content-type"] == "text/plain"
    assert got["body"] == request["content"].encode()
