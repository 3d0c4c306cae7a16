"""What exists on the target: ids the runner created earlier, so positive requests reach handlers.

    state = State()
    state.add("thread_abc")                                   # kind from the prefix
    state.add("msg_123", parents={"thread_id": "thread_abc"})  # a message lives in its thread
    state.add("consent_id", "vc_1")                           # a parameter with no known prefix
    state.remove("thread_abc")                                # deleted on the target

A strategy reads the state when it draws, not when it is built, so ids added during a run are used
by the next draw. A `State` belongs to one run; nothing here is global.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from conformance.strategies.ids import IdKind, kind_named, kind_of_id
from conformance.strategies.models import Models


@dataclass(frozen=True)
class Entry:
    id: str
    parents: Mapping[str, str]  # kind (or parameter name) -> id of the object this one lives in


@dataclass
class State:
    """Ids of objects that exist on the target, keyed by kind (`thread`) or parameter name."""

    models: Models | None = None  # the target's models (`Models.from_list_response`), when known
    _entries: dict[str, dict[str, Entry]] = field(default_factory=dict, repr=False)

    def add(
        self, key_or_id: str, value: str | None = None, *, parents: Mapping[str, str] | None = None
    ) -> None:
        """Record an id. `add(id)` infers the kind from its prefix; `add(name, id)` names it."""
        key = _key(key_or_id, value)
        object_id = value if value is not None else key_or_id
        normalised = {_key(k, v): v for k, v in (parents or {}).items()}
        self._entries.setdefault(key, {})[object_id] = Entry(object_id, normalised)

    def remove(self, object_id: str) -> None:
        """Forget an id (the object was deleted), and every object that lived in it."""
        for entries in self._entries.values():
            entries.pop(object_id, None)
        for entries in self._entries.values():
            for child in [e.id for e in entries.values() if object_id in e.parents.values()]:
                del entries[child]

    def ids(self, key: str) -> tuple[str, ...]:
        """The ids recorded under a kind or a parameter name."""
        return tuple(self._entries.get(_key(key, None, strict=False), {}))

    def entries(self, key: str) -> tuple[Entry, ...]:
        return tuple(self._entries.get(_key(key, None, strict=False), {}).values())

    def entries_for(self, kind: IdKind | None, name: str) -> tuple[Entry, ...]:
        """Entries for a path parameter: by its kind when it has one, else by its name."""
        return tuple(self._entries.get(kind.kind if kind else name, {}).values())

    def __len__(self) -> int:
        return sum(len(e) for e in self._entries.values())


def _key(key_or_id: str, value: str | None, strict: bool = True) -> str:
    if value is None and strict:
        kind = kind_of_id(key_or_id)
        if kind is None:
            raise ValueError(f"cannot tell the kind of id {key_or_id!r}: use state.add(name, id)")
        return kind.kind
    if value is not None:
        # A parameter name shared by kinds (`run_id`) is settled by the id's prefix.
        by_prefix = kind_of_id(value)
        named = kind_named(key_or_id)
        if by_prefix is not None and (named is None or named.kind != by_prefix.kind):
            if named is None or key_or_id.removesuffix("_id") in by_prefix.kind:
                return by_prefix.kind
        return named.kind if named else key_or_id
    named = kind_named(key_or_id)
    return named.kind if named else key_or_id
