"""Assistants: create, list, retrieve, modify, delete, with the documented limits enforced."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.emulator.common import deleted, pick, require
from conformance.emulator.context import Context
from conformance.emulator.endpoints.vector_stores import create_store
from conformance.emulator.limits import check_metadata
from conformance.emulator.registry import handles

KIND = "assistant"
_FIELDS = (
    "model",
    "name",
    "description",
    "instructions",
    "tools",
    "tool_resources",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "reasoning_effort",
)


@handles("createAssistant")
async def create_assistant(ctx: Context) -> Response:
    body = ctx.body or {}
    assistant = {
        "id": ctx.new_id(KIND),
        "object": KIND,
        "created_at": ctx.now(),
        "name": body.get("name"),
        "description": body.get("description"),
        "model": body["model"],
        "instructions": body.get("instructions"),
        "tools": body.get("tools") or [],
        "tool_resources": tool_resources(ctx, body.get("tool_resources")),
        "metadata": check_metadata(body.get("metadata")) or {},
        "temperature": _or(body.get("temperature"), 1.0),
        "top_p": _or(body.get("top_p"), 1.0),
        "response_format": _or(body.get("response_format"), "auto"),
    }
    if body.get("reasoning_effort") is not None:
        assistant["reasoning_effort"] = body["reasoning_effort"]
    return ctx.json(ctx.store.put(KIND, assistant))


@handles("listAssistants")
async def list_assistants(ctx: Context) -> Response:
    return ctx.json(ctx.paginate(ctx.store.list(KIND, copy=False)))


@handles("getAssistant")
async def get_assistant(ctx: Context) -> Response:
    return ctx.json(require(ctx, KIND, ctx.path_params["assistant_id"]))


@handles("modifyAssistant")
async def modify_assistant(ctx: Context) -> Response:
    assistant_id = ctx.path_params["assistant_id"]
    with ctx.store.lock:
        require(ctx, KIND, assistant_id)
        changes = pick(ctx.body, *_FIELDS)
        if "metadata" in changes:
            changes["metadata"] = check_metadata(changes["metadata"]) or {}
        if "tool_resources" in changes:
            changes["tool_resources"] = tool_resources(ctx, changes["tool_resources"])
        if "tools" in changes:
            changes["tools"] = changes["tools"] or []
        if changes.get("model") is None:
            changes.pop("model", None)
        return ctx.json(ctx.store.update(KIND, assistant_id, changes))


@handles("deleteAssistant")
async def delete_assistant(ctx: Context) -> Response:
    assistant_id = ctx.path_params["assistant_id"]
    if ctx.store.delete(KIND, assistant_id) is None:
        ctx.not_found(KIND, assistant_id)
    return ctx.json(deleted(assistant_id, "assistant.deleted"))


def tool_resources(ctx: Context, given: Any, param: str = "tool_resources") -> dict[str, Any]:
    """Tool resources as stored: known file and vector store ids; the `vector_stores` helper
    creates the vector stores it describes."""
    if not given:
        return {}
    result: dict[str, Any] = {}
    code = given.get("code_interpreter")
    if code is not None:
        file_ids = list(code.get("file_ids") or [])
        for index, file_id in enumerate(file_ids):
            require(ctx, "file", file_id, param=f"{param}.code_interpreter.file_ids[{index}]")
        result["code_interpreter"] = {"file_ids": file_ids}
    search = given.get("file_search")
    if search is not None:
        store_ids = list(search.get("vector_store_ids") or [])
        for index, store_id in enumerate(store_ids):
            require(ctx, "vector_store", store_id, param=f"{param}.file_search.vector_store_ids[{index}]")
        helpers = search.get("vector_stores") or []
        if store_ids and helpers:
            ctx.error(
                400,
                "Only one of 'vector_store_ids' or 'vector_stores' may be given for file_search.",
                param=f"{param}.file_search",
            )
        if helpers:
            store_ids = [create_store(ctx, helper)["id"] for helper in helpers]
        result["file_search"] = {"vector_store_ids": store_ids}
    return result


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value
