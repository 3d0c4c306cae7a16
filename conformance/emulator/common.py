"""Small helpers the Assistants-family handlers share: lookups that 404 and deletion answers."""

from __future__ import annotations

from typing import Any

from conformance.emulator.context import Context


def require(
    ctx: Context, kind: str, id: str, parent: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """The stored object, or the 404 envelope naming the id."""
    found = ctx.store.get(kind, id, parent=parent)
    if found is None:
        ctx.not_found(kind, id, param=param)
    return found


def deleted(id: str, object: str) -> dict[str, Any]:
    return {"id": id, "object": object, "deleted": True}


def pick(body: dict[str, Any] | None, *names: str) -> dict[str, Any]:
    """The fields of `body` among `names` that the client sent (a sent null stays null)."""
    body = body or {}
    return {name: body[name] for name in names if name in body}
