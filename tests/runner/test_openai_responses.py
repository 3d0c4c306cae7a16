"""Acceptance against a server nobody here wrote: openai-responses 0.13.1, a stateful respx mock of the
API, served over HTTP by a small bridge (openai_responses_bridge.py). The run finishes, names what the
mock does not implement, and every violation it lists is a deviation of the mock, checked by hand (each
pattern below says how).

openai-responses 0.13.1 requires openai<3, which would hold back the SDK the rest of the suite runs
against, so the bridge runs as a subprocess under the python of an environment of its own: `.ci/run`
builds it in .ci/third-party/openai-responses (OPENAI_CONFORMANCE_OPENAI_RESPONSES_PYTHON names another
python that has openai-responses, respx, starlette and uvicorn). Without it the test is skipped."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from tests.runner.support import free_port, read_results

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(
    os.environ.get("OPENAI_CONFORMANCE_OPENAI_RESPONSES_PYTHON")
    or ROOT / ".ci/third-party/openai-responses/bin/python"
)
BRIDGE = Path(__file__).with_name("openai_responses_bridge.py")
START_TIMEOUT = 60  # importing the mock (openai 2, pydantic models) takes a few seconds on a busy machine

# What openai-responses 0.13.1 does differently from the API, each checked by hand against the mock
# (curl through the bridge): (check, message pattern) of every violation a run may list.
TRUE_DEVIATIONS = [
    # creates answer 201 Created; the spec (and the API) answer 200
    ("response.schema", r"^status 201 is not declared for POST "),
    # lists are {data, first_id, last_id, has_more}, without "object": "list"
    ("response.schema", r'^"object" is a required property$'),
    # a 404 for an unknown id has an empty body, not the error envelope
    ("error.envelope", r"^the 404 body is not JSON$"),
    # no x-request-id on any answer
    ("response.headers", r"^header x-request-id is missing$"),
    # unset fields are dumped as null where the spec's field is not nullable (tool_resources.code_interpreter,
    # response_format, metadata of a run, a file search ranker)
    ("response.schema", r"^null is not (of type|one of|valid under)"),
    # no validation: a request that breaks the schema is answered 2xx, or crashes the mock (500)
    ("negative.rejected", r"^an invalid request was answered (200|201|500) "),
    ("server.error", r"^the server failed with 500$"),
    ("error.envelope", r"^the 500 body is not JSON$"),
    # routes are matched as prefixes: DELETE /assistants/not-an-id deletes "not" and answers
    # {"id": "not", "deleted": false}; a bad message id falls through to the thread's delete
    ("negative.rejected", r"^an invalid request was answered 200 \(it breaks path id shape: "),
    ("object.invariants", r"^a delete answers (deleted: true|the id it deleted)$"),
    # has_more is true on the page after the last one ({"data": [], "has_more": true})
    ("pagination.page", r"^has_more is true on an empty page$"),
    (
        "pagination.traversal",
        r"^has_more (should be false on the last page|was true but the next page is empty)",
    ),
    # a modify answers the new metadata, a later retrieve the old one (vector stores)
    ("lifecycle.lost_update", r"^getVectorStore: metadata is not the last value written$"),
    # a message is created "completed" with completed_at null (the emulator and the lifecycle table set
    # it; the API's own answer for a user message was not at hand to confirm)
    ("lifecycle.fields", r"^completed_at is not set on a completed thread.message$"),
    # no authentication at all: a request with a malformed key (or none) is answered like any other
    (
        "auth.required",
        r"^a request with .+ was answered (2\d\d|404), not refused$",
    ),
    # the bridge answers a crash of the mock with a plain-text 500
    ("response.content_type", r"^an error answer should be JSON$"),
    # runs are created queued and stay queued: the mock never starts one (its tests set the status)
    (
        "lifecycle.workflow",
        r"^thread\.run run_\w+ stayed 'queued' for \d+ s \(\d+ reads\): the target does not progress",
    ),
]
IMPLEMENTED = (
    "createAssistant,getAssistant,listAssistants,modifyAssistant,deleteAssistant,createThread,getThread,"
    "createMessage,listMessages,createVectorStore,getVectorStore,modifyVectorStore,listVectorStores,"
    "deleteVectorStore,listModels,createRun,getRun,createThreadAndRun"
)
MISSING = ("createResponse", "listBatches")


@pytest.fixture
def bridge_url() -> Iterator[str]:
    """The bridge on a free port of 127.0.0.1, in its own process: its mock draws ids from its own
    `random` (served in this process, Hypothesis would reseed it for every example and ids would repeat)."""
    port = free_port()
    server = subprocess.Popen([str(PYTHON), str(BRIDGE), str(port)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            assert server.poll() is None, f"the openai-responses bridge exited with {server.returncode}"
            assert time.monotonic() < deadline, f"the bridge did not listen within {START_TIMEOUT} s"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.skipif(
    not PYTHON.exists(),
    reason=f"needs openai-responses 0.13.1 in its own environment at {PYTHON} (.ci/run builds it; "
    "or set OPENAI_CONFORMANCE_OPENAI_RESPONSES_PYTHON to a python that has it)",
)
def test_a_run_against_openai_responses_names_only_its_true_deviations(
    bridge_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    for name, seconds in (("INTERVAL", "0.05"), ("HEARTBEAT", "0.3"), ("STALL", "1")):
        monkeypatch.setenv(f"OPENAI_CONFORMANCE_POLL_{name}", seconds)
    scope = ["--include", ",".join([IMPLEMENTED, *MISSING]), "--max-examples", "1"]
    args = ["run", "--target", bridge_url, *scope]
    code = main([*args, "--seed", "1", "--report-dir", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 1 and "Traceback" not in out.out + out.err
    results = read_results(tmp_path)
    assert f"not implemented: {', '.join(MISSING)}" in out.out  # the run's summary line
    summary = (tmp_path / "latest" / "summary.md").read_text()
    assert (
        f"{len(IMPLEMENTED.split(','))} of {len(IMPLEMENTED.split(',')) + len(MISSING)} operations implemented; not implemented: {', '.join(MISSING)}."
        in summary
    )
    implementation = {
        r["operation_id"]: r["outcome"] for r in results["operations"] if r["phase"] == "positive"
    }
    assert [op for op in MISSING if implementation[op] != "not-implemented"] == []
    listed = [(v["check"], v["message"]) for r in results["operations"] for v in r["violations"]]
    unexplained = sorted({(check, message) for check, message in listed if not _explained(check, message)})
    assert listed and unexplained == []
    # the flows went on after the 201s: the stateful reads and deletes ran
    found = {(v["check"], v["operation_id"]) for r in results["operations"] for v in r["violations"]}
    assert ("lifecycle.workflow", "createAssistant") not in found
    assert any(check == "response.schema" and "201" in message for check, message in listed)
    # its runs stay queued: one finding for the first wait, the next flow's wait skipped after one read
    assert len([m for _, m in listed if "does not progress thread.run objects" in m]) == 1
    assert out.err.count("later waits for a 'queued' thread.run are skipped") == 1
    scenario = {r["operation_id"]: r for r in results["operations"] if r["phase"] == "scenarios"}
    assert "'queued' too" in scenario["createThreadAndRun"]["reason"]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _explained(check: str, message: str) -> bool:
    return any(check == known and re.search(pattern, message) for known, pattern in TRUE_DEVIATIONS)
