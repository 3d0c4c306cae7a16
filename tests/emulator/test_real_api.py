"""The emulator answers like the real API: the known deviations of spec/deviations.yaml by default, the
letter of the spec with --spec-literal. Judged by the suite itself: default clean, --strict-spec shows
exactly the table's deviations, --spec-literal under --strict-spec clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance.cli import main
from conformance.emulator import create_app
from conformance.emulator.real_api import entries, follows
from conformance.spec.deviations import table
from tests.runner.support import read_results

HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}
# The operations whose answers show every deviation the emulator follows, with the phases that reach them.
SUBSET = (
    "Batch,Files,*VectorStore*,Embeddings,Responses,createChatCompletion,createRun,listRuns,listAssistants,"
    "createFineTuningJob"
)
PHASES = "examples,positive,scenarios"


def _run(report_dir: Path, *options: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["run", "--include", SUBSET, "--phases", PHASES, "--report-dir", str(report_dir), *options])
    results = read_results(report_dir)
    return code, [v for op in results["operations"] for v in op["violations"]]


def _signatures(violations: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    return {tuple(v["signature"]) for v in violations}


def test_default_run_is_clean_and_strict_spec_shows_exactly_the_tables_deviations(tmp_path, capsys):
    code, found = _run(tmp_path / "default")
    assert code == 0, capsys.readouterr().out
    assert found and all(v.get("known_deviation") for v in found)
    # every deviation of today's API the emulator can show (limits it does not relax) shows up
    followed = {d.id for d in table() if d.current and d.kind != "limit"}
    assert {v["known_deviation"] for v in found} == followed
    code, strict = _run(tmp_path / "strict", "--strict-spec")
    assert code == 1
    assert strict and not any(v.get("known_deviation") for v in strict)
    assert _signatures(strict) == _signatures(found)  # the same findings, nothing else


def test_spec_literal_is_clean_under_strict_spec(tmp_path, capsys):
    code, found = _run(tmp_path, "--strict-spec", "--spec-literal")
    assert code == 0, capsys.readouterr().out
    assert found == []


def test_spec_literal_needs_an_emulator_target(capsys):
    assert main(["run", "--target", "http://127.0.0.1:9/v1", "--spec-literal"]) == 2
    assert "--spec-literal needs --target emulator" in capsys.readouterr().err


@pytest.fixture(params=[False, True], ids=["real-api", "spec-literal"])
def both(request) -> tuple[bool, TestClient]:
    app = create_app(run_delay=0, spec_literal=request.param)
    return request.param, TestClient(app, base_url="http://emulator/v1", headers=HEADERS)


def test_a_new_batch_has_null_timestamps_of_states_not_reached(both):
    literal, http = both
    upload = http.post("/files", files={"file": ("in.jsonl", b"{}\n")}, data={"purpose": "batch"}).json()
    batch = http.post(
        "/batches",
        json={"input_file_id": upload["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
    unset = ("in_progress_at", "completed_at", "cancelled_at", "output_file_id", "errors")
    if literal:
        assert not set(unset) & set(batch) and "status_details" not in upload
    else:
        assert {name: batch[name] for name in unset} == dict.fromkeys(unset)
        assert upload["status_details"] is None and isinstance(batch["created_at"], int)


def test_list_files_cursors_file_batch_object_and_vector_store_name(both):
    literal, http = both
    upload = http.post("/files", files={"file": ("a.txt", b"otters")}, data={"purpose": "assistants"}).json()
    page = http.get("/files").json()
    store = http.post("/vector_stores", json={}).json()
    batch = http.post(f"/vector_stores/{store['id']}/file_batches", json={"file_ids": [upload["id"]]}).json()
    if literal:
        assert page["first_id"] == upload["id"] and store["name"] == ""
        assert batch["object"] == "vector_store.files_batch"
    else:
        assert "first_id" not in page and "last_id" not in page and store["name"] is None
        assert batch["object"] == "vector_store.file_batch"


def test_empty_list_cursors_are_null_or_empty_strings(both):
    literal, http = both
    page = http.get("/assistants", params={"after": "asst_none"}).json()
    assert page["data"] == [] and page["first_id"] == page["last_id"] == ("" if literal else None)


def test_a_streamed_response_has_null_usage_until_it_completes(both):
    literal, http = both
    answer = http.post("/responses", json={"model": "gpt-4o", "input": "hi", "stream": True})
    events = [json.loads(line[6:]) for line in answer.text.splitlines() if line.startswith("data: {")]
    responses = {e["type"]: e["response"] for e in events if "response" in e}
    created, completed = responses["response.created"], responses["response.completed"]
    assert completed["usage"]["total_tokens"] > 0
    if literal:
        assert "usage" not in created and "user" not in created
    else:
        assert created["usage"] is None and created["user"] is None and completed["user"] is None


def test_base64_embeddings_only_as_the_real_api(both):
    literal, http = both
    body = {"model": "text-embedding-3-small", "input": "hi", "encoding_format": "base64"}
    embedding = http.post("/embeddings", json=body).json()["data"][0]["embedding"]
    assert isinstance(embedding, list if literal else str)


def test_only_deviations_of_todays_api_are_followed():
    applied = {d.id for d in entries("listRuns", "response.schema")}
    assert "unset-request-fields-null" in applied and "run-fields-added-later" not in applied
    with pytest.raises(KeyError):
        follows(False, "no-such-deviation")
