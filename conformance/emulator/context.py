"""What a handler gets: the validated request, the spec, the store, and helpers for answers.

    @handles("getAssistant")
    async def get_assistant(ctx: Context) -> Response:
        assistant = ctx.store.get("assistant", ctx.path_params["assistant_id"])
        if assistant is None:
            ctx.not_found("assistant", ctx.path_params["assistant_id"])
        return ctx.json(assistant)

Attributes: `request` (the starlette Request), `operation` (conformance.spec.Operation), `spec`,
`path_params` (str values), `query` (validated and coerced to the schema's types, with schema
defaults filled in), `body` (parsed JSON, or form fields as a dict for form media types; None when
there is no body), `files` (multipart uploads: field -> (filename, bytes, content type)), `store`
(`conformance.emulator.store.Store`), `settings` (`conformance.emulator.settings.Settings`).

`ctx.error(...)` and `ctx.not_found(...)` raise `ApiError`, which the app turns into the OpenAI
error envelope; they never return.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from starlette.requests import Request
from starlette.responses import Response

from conformance.emulator import ids, pagination
from conformance.emulator.errors import ApiError
from conformance.emulator.settings import Settings
from conformance.emulator.store import Store
from conformance.spec import Operation, Spec

# How the real API names each kind in its 404 messages.
_NOT_FOUND_NAMES = {
    "thread.message": "message",
    "thread.run": "run",
    "thread.run.step": "step",
    "vector_store": "vector store",
    "vector_store.file": "file",
    "vector_store.files_batch": "file batch",
}


class Context:
    __slots__ = ("request", "operation", "spec", "path_params", "query", "body", "files", "store", "settings")

    def __init__(
        self,
        request: Request,
        operation: Operation,
        spec: Spec,
        store: Store,
        settings: Settings,
        path_params: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> None:
        self.request = request
        self.operation = operation
        self.spec = spec
        self.store = store
        self.settings = settings
        self.path_params = path_params or {}
        self.query = query or {}
        self.body = body
        self.files = files or {}

    # -- answers ---------------------------------------------------------------------------------

    def json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """A JSON response, compact; ASCII escapes keep any string (even a lone surrogate) valid."""
        content = json.dumps(data, separators=(",", ":")).encode("ascii")
        return Response(content, status_code=status, headers=headers, media_type="application/json")

    def error(
        self,
        status: int,
        message: str,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> NoReturn:
        """Answer with the OpenAI error envelope (raises `ApiError`)."""
        raise ApiError(status, message, type=type, param=param, code=code)

    def not_found(self, kind: str, id: str, param: str | None = None) -> NoReturn:
        """404 whose message names the id, as the real API words it."""
        name = _NOT_FOUND_NAMES.get(kind, kind.replace("_", " "))
        if kind == "file":
            message = f"No such File object: {id}"
        else:
            message = f"No {name} found with id '{id}'."
        raise ApiError(404, message, param=param, code=None)

    # -- values ----------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh id: a literal prefix (`"asst_"`) or a kind (`"assistant"`, see `ids.PREFIXES`)."""
        return ids.new_id(prefix)

    def now(self) -> int:
        """Unix seconds by the emulator's clock (tests can move it)."""
        return int(self.settings.clock())

    def paginate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """The list envelope for one page of `items` (given in creation order), per this operation's
        `limit`/`order`/`after`/`before`; only the envelope fields the operation's schema declares."""
        limits = pagination.limit_range(self.spec, self.operation)
        default = limits.default if limits and limits.default is not None else 20
        fields = pagination.envelope_fields(self.spec, self.operation)
        return pagination.paginate(items, self.query, default, fields)
