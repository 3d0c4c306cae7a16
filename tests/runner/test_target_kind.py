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
from conformance.runner.selection import COSTLY, COSTLY_PARENT, NOT_OWNED
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
    "modifyVectorStore,deleteVectorStore,createVectorStoreFile,updateVectorStoreFileAttributes,deleteVectorStoreFile,"
    # objects with actions but no path of their own, and items a create answers as a list
    "createUpload,addUploadPart,completeUpload,cancelUpload,CreateChatSessionMethod,CancelChatSessionMethod,"
    "createConversation,createConversationItems,deleteConversationItem"
)
# changes to objects only a costly operation makes: left out with that reason, not "did not create"
COSTLY_PARENTS = "cancelBatch,deleteModel,cancelFineTuningJob,deleteEvalRun,updateVoiceConsent"


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
    left_out = [
        (r["operation_id"], r["phase"], r["reason"])
        for r in results["operations"]
        if REAL_ACCOUNT in (r["reason"] or "")
    ]
    assert left_out == []
    assert {r["operation_id"] for r in results["operations"]} == set(CHANGES.split(","))
    outcome = {(r["operation_id"], r["phase"]): r["outcome"] for r in results["operations"]}
    changes = [op for op in CHANGES.split(",") if not op.startswith(("create", "Create"))]
    assert [(op, p) for op in changes for p in ("positive", "negative") if outcome[(op, p)] != "passed"] == []
    kinds = {kind for kind, _ in made}
    assert {
        "assistant",
        "thread",
        "thread.message",
        "thread.run",
        "file",
        "vector_store",
        "upload",
    } <= kinds, kinds
    remaining = [(kind, id) for kind, id in made if _still_there(store, kind, id)]
    assert (len(made) > 10, remaining) == (True, [])


def _still_there(store, kind: str, id: str) -> bool:
    """An object is there while it is stored and not finished, nor is any object up its chain (the parts
    of a completed upload, the runs of a deleted thread go with it)."""
    while True:
        obj = store.get(kind, id)
        if obj is None or _status(obj) in FINISHED:
            return False
        parent = store.parent_of(kind, id)
        if parent is None:
            return True
        holder = next((k for k in store.kinds() if store.get(k, parent) is not None), None)
        if holder is None:
            return False
        kind, id = holder, parent


def _status(obj: dict) -> object:
    """The status of an emulator object; the generic store keeps it in the object's `data`."""
    data = obj.get("data")
    return obj.get("status") or (data.get("status") if isinstance(data, dict) else None)


def test_a_real_account_says_why_it_leaves_out_changes_to_what_only_costly_operations_make(
    emulator, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    _, url = emulator
    code, results = run(url, tmp_path, "--target-kind", "real-account", include=COSTLY_PARENTS)
    skipped = {(r["operation_id"], r["reason"]) for r in results["operations"] if r["outcome"] == "skipped"}
    assert code == 0 and {op for op, _ in skipped} == set(COSTLY_PARENTS.split(","))
    # a scenario names the costly step it would need ("createBatch: costly operation, ...")
    assert all(
        reason == COSTLY_PARENT or reason.endswith(COSTLY) for _, reason in skipped if REAL_ACCOUNT in reason
    )
    assert COSTLY_PARENT in {reason for _, reason in skipped}
    assert NOT_OWNED not in {reason for _, reason in skipped}
