"""Which async function answers which operation.

Every emulated operation is an async handler registered by operationId::

    from conformance.emulator.registry import handles
    from conformance.emulator.context import Context

    @handles("createEmbedding")
    async def create_embedding(ctx: Context) -> Response:
        return ctx.json({...})

The app has already routed, authenticated, rate-limited and validated the request against the spec
when the handler runs: `ctx.query`, `ctx.body` and `ctx.files` hold valid, coerced input. A handler
only implements semantics: it raises `ctx.error(...)` / `ctx.not_found(...)` for the 4xx the spec's
validation cannot see, and returns a starlette `Response` (usually `ctx.json(...)`).

Operations with no handler go to the fallback that `conformance.emulator.endpoints.generic` registers
with `@fallback` (spec-driven CRUD). Importing `conformance.emulator.endpoints` registers them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.responses import Response

if TYPE_CHECKING:
    from conformance.emulator.context import Context

Handler = Callable[["Context"], Awaitable[Response]]

_handlers: dict[str, Handler] = {}
_fallback: list[Handler] = []


def handles(*operation_ids: str) -> Callable[[Handler], Handler]:
    """Register the decorated async handler for these operationIds (the last registration wins)."""

    def register(handler: Handler) -> Handler:
        for operation_id in operation_ids:
            _handlers[operation_id] = handler
        return handler

    return register


def fallback(handler: Handler) -> Handler:
    """Register the handler for operations nobody else handles (`generic.py` uses it)."""
    _fallback[:] = [handler]
    return handler


def lookup(operation_id: str) -> Handler | None:
    """The handler registered for an operationId, or None (then the app uses `default_handler()`)."""
    return _handlers.get(operation_id)


def default_handler() -> Handler:
    """The spec-driven CRUD handler (`endpoints.generic`), for operations without their own."""
    return _fallback[0]


def registered() -> dict[str, Handler]:
    """A copy of the operationId → handler table (for tests and `emulator --list`)."""
    return dict(_handlers)
