"""Emulator state: JSON objects by kind (and optional parent), plus raw blobs (file bytes).

    store.put("assistant", {"id": "asst_1", ...})                 # insert or replace
    store.put("thread.message", msg, parent="thread_1")          # scoped to a parent id
    store.get("assistant", "asst_1")                             # a copy, or None
    store.get("thread.message", "msg_1", parent="thread_1")      # None when the parent differs
    store.put("vector_store.file", obj, parent="vs_1", key="vs_1/file-1")  # id reused per parent
    store.update("assistant", "asst_1", {"name": "x"})           # merged copy (LookupError if absent)
    store.delete("assistant", "asst_1")                          # the deleted object, or None
    store.list("thread.message", parent="thread_1")              # copies, in insertion order
    store.put_blob("file-1", b"..."); store.get_blob("file-1")

Objects go in and come out as copies, so a handler can never change state by accident. Every call is
thread-safe; hold `store.lock` (re-entrant) around a read-modify-write that must be atomic. With a
path the store writes through to SQLite (the standard library's `sqlite3`), so a restarted emulator
pointed at the same file has every object back; without one it lives in memory only.
Use the `object` names of the spec as kinds (`assistant`, `thread.run`, `vector_store.file`, ...).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, id TEXT NOT NULL, parent TEXT, seq INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


def clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), several times faster than `copy.deepcopy`."""
    if type(value) is dict:
        return {k: clone(v) for k, v in value.items()}
    if type(value) is list:
        return [clone(v) for v in value]
    return value


def _same(value: dict[str, Any]) -> dict[str, Any]:
    return value


class Store:
    def __init__(self, path: str | Path | None = None) -> None:
        self.lock = threading.RLock()
        self.path = Path(path) if path else None
        self._objects: dict[str, dict[str, tuple[str | None, int, dict[str, Any]]]] = {}
        self._children: dict[tuple[str, str | None], dict[str, None]] = {}
        self._blobs: dict[str, bytes] = {}
        self._seq = 0
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            self._open(self.path)

    # -- objects ---------------------------------------------------------------------------------

    def put(
        self, kind: str, obj: Mapping[str, Any], parent: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """Insert or replace the object stored under `key` (default `obj["id"]`; give a key when the
        same id can appear under several parents); a replaced object keeps its list position."""
        data = clone(dict(obj))
        key = str(data["id"]) if key is None else key
        with self.lock:
            table = self._objects.setdefault(kind, {})
            old = table.get(key)
            if old is not None and old[0] != parent:
                self._children.get((kind, old[0]), {}).pop(key, None)
            if old is not None:
                seq = old[1]
            else:
                self._seq += 1
                seq = self._seq
            table[key] = (parent, seq, data)
            self._children.setdefault((kind, parent), {})[key] = None
            self._write(
                "INSERT OR REPLACE INTO objects (kind, id, parent, seq, data) VALUES (?, ?, ?, ?, ?)",
                (kind, key, parent, seq, json.dumps(data, separators=(",", ":"))),
            )
        return clone(data)

    def get(self, kind: str, id: str, parent: str | None = None) -> dict[str, Any] | None:
        """A copy of the object, or None when absent (or, with `parent`, under another parent)."""
        with self.lock:
            row = self._objects.get(kind, {}).get(id)
            if row is None or (parent is not None and row[0] != parent):
                return None
            return clone(row[2])

    def parent_of(self, kind: str, id: str) -> str | None:
        with self.lock:
            row = self._objects.get(kind, {}).get(id)
            return None if row is None else row[0]

    def one(self, kind: str, id: str) -> dict[str, Any]:
        """A copy of an object the caller knows is there (it just stored or read it)."""
        found = self.get(kind, id)
        if found is None:
            raise LookupError(f"no {kind} {id!r} in the store")
        return found

    def update(self, kind: str, id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Merge `changes` (top-level keys) into an object that is there; returns the new copy.
        Handlers update only what they have just read, so an absent object is a bug (LookupError)."""
        with self.lock:
            row = self._objects.get(kind, {}).get(id)
            if row is None:
                raise LookupError(f"no {kind} {id!r} in the store")
            data = dict(row[2])
            data.update(clone(dict(changes)))
            return self.put(kind, data, parent=row[0], key=id)

    def delete(self, kind: str, id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._objects.get(kind, {}).pop(id, None)
            if row is None:
                return None
            self._children.get((kind, row[0]), {}).pop(id, None)
            self._write("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, id))
            return row[2]

    def list(
        self, kind: str, parent: str | None = None, *, any_parent: bool = False, copy: bool = True
    ) -> list[dict[str, Any]]:
        """The objects of a kind under `parent` (every parent with `any_parent`), in insertion order.
        `copy=False` returns the stored objects themselves, for read-only use such as paginating
        a long list (`ctx.paginate` copies the page it returns)."""
        copier = clone if copy else _same
        with self.lock:
            table = self._objects.get(kind, {})
            if any_parent:
                rows = sorted(table.values(), key=lambda row: row[1])
                return [copier(row[2]) for row in rows]
            ids = self._children.get((kind, parent), {})
            return [copier(table[key][2]) for key in ids]

    def kinds(self) -> builtins.list[str]:
        """The kinds that hold at least one object (tests count what a run left behind)."""
        with self.lock:
            return sorted(kind for kind, table in self._objects.items() if table)

    def count(self, kind: str, parent: str | None = None) -> int:
        with self.lock:
            return len(self._children.get((kind, parent), {}))

    # -- blobs -----------------------------------------------------------------------------------

    def put_blob(self, key: str, data: bytes) -> None:
        with self.lock:
            self._blobs[key] = bytes(data)
            self._write("INSERT OR REPLACE INTO blobs (key, data) VALUES (?, ?)", (key, sqlite3.Binary(data)))

    def get_blob(self, key: str) -> bytes | None:
        with self.lock:
            return self._blobs.get(key)

    def delete_blob(self, key: str) -> None:
        with self.lock:
            if self._blobs.pop(key, None) is not None:
                self._write("DELETE FROM blobs WHERE key = ?", (key,))

    # -- persistence -----------------------------------------------------------------------------

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _open(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            rows = db.execute("SELECT kind, id, parent, seq, data FROM objects ORDER BY seq").fetchall()
            blobs = db.execute("SELECT key, data FROM blobs").fetchall()
        except (sqlite3.Error, OSError) as exc:
            raise ConformanceError(f"state file {path}: {exc}") from None
        for kind, key, parent, seq, data in rows:
            self._objects.setdefault(kind, {})[key] = (parent, seq, json.loads(data))
            self._children.setdefault((kind, parent), {})[key] = None
            self._seq = max(self._seq, seq)
        self._blobs = {key: bytes(data) for key, data in blobs}
        self._db = db

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        if self._db is not None:
            self._db.execute(sql, args)
