"""A run by URL against a conforming server: clean, nearly complete on a test server, and on a real
account it leaves out only what costs money or changes the organisation, and leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.emulator import create_app
from conformance.results import REAL_ACCOUNT
from conformance.runner.safety import TAG_KEY
from tests.runner.support import read_results

FINISHED = ("cancelled", "cancelling", "completed", "failed", "expired", "incomplete")
INCLUDE = (
    "createAssistant,deleteAssistant,createThread,createRun,createThreadAndRun,cancelRun,submitToolOuputsToRun,"
    "createBatch,retrieveBatch,cancelBatch,createVectorStore,createVectorStoreFile,deleteVectorStoreFile"
)


@pytest.fixture
def emulator(serve, openai_spec):
    app = create_app(spec=openai_spec)
    return app, serve(app)


def run(url: str, report_dir: Path, *extra: str) -> tuple[int, dict]:
    code = main(
        ["run", "--target", url, "--include", INCLUDE, "--max-examples", "1", "--report-dir", str(report_dir)]
        + list(extra)
    )
    return code, read_results(report_dir)


def left_behind(app, run_id: str) -> list[str]:
    """Objects in the emulator tagged with the run id that are still there (a batch or a run cannot be
    deleted, only cancelled: a finished one is gone)."""
    store = app.state.store
    return [
        f"{kind} {obj['id']} {obj.get('status')} in {store.parent_of(kind, obj['id'])}"
        for kind in store.kinds()
        for obj in store.list(kind, any_parent=True)
        if isinstance(obj.get("metadata"), dict)
        and obj["metadata"].get(TAG_KEY) == run_id
        and obj.get("status") not in FINISHED
        and _parent_exists(store, store.parent_of(kind, obj["id"]))
    ]


def _parent_exists(store, parent: str | None) -> bool:
    """A child of a deleted object (a run of a deleted thread) is gone with it."""
    return parent is None or any(store.get(kind, parent) is not None for kind in store.kinds())


def test_a_test_server_gets_everything(emulator, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    app, url = emulator
    code, results = run(url, tmp_path)
    assert (code, results["counts"]["new_violations"]) == (0, 0), capsys.readouterr().out
    assert results["target_kind"] == "test-server"
    skipped = [r for r in results["operations"] if r["outcome"] == "skipped"]
    assert len(skipped) < 0.1 * len(results["operations"]), [
        (r["operation_id"], r["reason"]) for r in skipped
    ]
    assert not any(REAL_ACCOUNT in (r["reason"] or "") for r in skipped)
    assert "Target kind: test-server: nothing left out" in (tmp_path / "latest" / "summary.md").read_text()
    assert left_behind(app, results["run_id"]) == []


def test_a_real_account_leaves_out_only_costly_and_admin_operations(
    emulator, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    app, url = emulator
    code, results = run(url, tmp_path, "--target-kind", "real-account")
    assert (code, results["counts"]["new_violations"]) == (0, 0), capsys.readouterr().out
    assert results["target_kind"] == "real-account"
    left_out = [r for r in results["operations"] if REAL_ACCOUNT in (r["reason"] or "")]
    assert left_out and all(r["outcome"] == "skipped" for r in left_out)
    assert {r["operation_id"] for r in left_out} >= {"createBatch"}
    summary = (tmp_path / "latest" / "summary.md").read_text()
    assert "Target kind: real-account: left out" in summary and "costly operation" in summary
    html = (tmp_path / "latest" / "report.html").read_text()
    assert "target kind" in html and "real-account: left out" in html
    # the clamp keeps createRun valid (max_completion_tokens has minimum 256): the workflow runs
    outcome = {(r["operation_id"], r["phase"]): r["outcome"] for r in results["operations"]}
    assert outcome[("createRun", "positive")] == "passed"
    assert left_behind(app, results["run_id"]) == []
    assert json.loads(json.dumps(results["options"]))["target_kind"] == "real-account"
