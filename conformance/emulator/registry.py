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

Operations with no handler go to the fallback: the handler that `conformance.emulator.endpoints.generic`
registers with `@fallback` (spec-driven CRUD), or, while no module registered one, a 501 with the
OpenAI error envelope.

Handler modules live in `conformance.emulator.endpoints` and are imported by `load_handlers()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.responses import Response

if TYPE_CHECKING:
    from conformance.emulator.context import Context

Handler = Callable[["Context"], Awaitable[Response]]

# Modules of `conformance.emulator.endpoints` that register handlers, imported once by the app.
HANDLER_MODULES = [
    "assistants",
    "threads",
    "runs",
    "files",
    "uploads",
    "vector_stores",
    "chat",
    "completions",
    "embeddings",
    "moderations",
    "models",
    "responses",
    "images",
    "audio",
    "batches",
    "fine_tuning",
    "generic",
]

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
    return _fallback[0] if _fallback else _not_implemented


def registered() -> dict[str, Handler]:
    """A copy of the operationId → handler table (for tests and `emulator --list`)."""
    return dict(_handlers)


def load_handlers() -> None:
    """Import every handler module; idempotent."""
    for name in HANDLER_MODULES:
        importlib.import_module(f"conformance.emulator.endpoints.{name}")


async def _not_implemented(ctx: Context) -> Response:
    ctx.error(
        501,
        f"The emulator does not implement {ctx.operation.method} {ctx.operation.path} "
        f"({ctx.operation.id}) yet.",
        type="server_error",
        code="not_implemented",
    )
