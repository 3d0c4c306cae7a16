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
from conformance.runner.selection import NOT_OWNED
from tests.runner.support import read_results

FINISHED = ("cancelled", "cancelling", "completed", "failed", "expired", "incomplete")
INCLUDE = (
    "createAssistant,deleteAssistant,createThread,createRun,createThreadAndRun,cancelRun,submitToolOuputsToRun,"
    "createBatch,retrieveBatch,cancelBatch,createVectorStore,createVectorStoreFile,deleteVectorStoreFile"
)
# every modify, delete and cancel below objects a run can make: a real account exercises them all
CHANGES = (
    "createAssistant,modifyAssistant,deleteAssistant,createThread,modifyThread,deleteThread,createMessage,"
    "modifyMessage,deleteMessage,createRun,modifyRun,cancelRun,createFile,deleteFile,createVectorStore,"
    "modifyVectorStore,deleteVectorStore,createVectorStoreFile,updateVectorStoreFileAttributes,deleteVectorStoreFile"
)


@pytest.fixture
def emulator(serve, openai_spec):
    app = create_app(spec=openai_spec)
    return app, serve(app)


def run(url: str, report_dir: Path, *extra: str, include: str = INCLUDE) -> tuple[int, dict]:
    code = main(
        ["run", "--target", url, "--include", include, "--max-examples", "1", "--report-dir", str(report_dir)]
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


def test_a_real_account_changes_and_deletes_what_it_created_and_leaves_nothing(
    emulator, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    app, url = emulator
    store = app.state.store
    made: list[tuple[str, str]] = []
    put = store.put

    def counting_put(kind, obj, parent=None, key=None):
        key_ = str(obj["id"]) if key is None else key
        if store.get(kind, key_) is None:
            made.append((kind, key_))
        return put(kind, obj, parent=parent, key=key)

    monkeypatch.setattr(store, "put", counting_put)
    code, results = run(url, tmp_path, "--target-kind", "real-account", include=CHANGES)
    assert (code, results["counts"]["new_violations"]) == (0, 0), capsys.readouterr().out
    # the run makes its own objects for every phase (a negative request's misshapen id, a second
    # delete of what it deleted and createRun's assistant included) instead of leaving them out
    not_owned = [(r["operation_id"], r["phase"]) for r in results["operations"] if r["reason"] == NOT_OWNED]
    assert not_owned == [], [
        (r["operation_id"], r["phase"], r["reason"])
        for r in results["operations"]
        if r["outcome"] == "skipped"
    ]
    outcome = {(r["operation_id"], r["phase"]): r["outcome"] for r in results["operations"]}
    for op in CHANGES.split(","):
        for phase in ("examples", "positive", "negative"):
            assert outcome.get((op, phase), "passed") == "passed", (op, phase)
    kinds = {kind for kind, _ in made}
    assert {"assistant", "thread", "thread.message", "thread.run", "file", "vector_store"} <= kinds, kinds
    remaining = [(kind, id) for kind, id in made if _still_there(store, kind, id)]
    assert (len(made) > 10, remaining) == (True, [])


def _still_there(store, kind: str, id: str) -> bool:
    """An object is there while it is stored, not finished, and every parent up its chain is there."""
    obj = store.get(kind, id)
    if obj is None or obj.get("status") in FINISHED:
        return False
    parent = store.parent_of(kind, id)
    while parent is not None:
        holder = next((k for k in store.kinds() if store.get(k, parent) is not None), None)
        if holder is None:
            return False
        parent = store.parent_of(holder, parent)
    return True
