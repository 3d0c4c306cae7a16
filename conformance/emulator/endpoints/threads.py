"""Threads (with initial messages and tool_resources) and their messages.

Reads of a thread's messages first let its active runs catch up (see `runs.advance_thread`), so a
client that polls messages sees what the fake model wrote.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.emulator.common import deleted, require
from conformance.emulator.context import Context
from conformance.emulator.endpoints.assistants import tool_resources
from conformance.emulator.limits import check_metadata
from conformance.emulator.registry import handles

KIND = "thread"
MESSAGE = "thread.message"


def create_thread(ctx: Context, body: dict[str, Any], param: str = "") -> dict[str, Any]:
    """Create a thread and its initial messages (createThread and createThreadAndRun)."""
    prefix = f"{param}." if param else ""
    thread = {
        "id": ctx.new_id(KIND),
        "object": KIND,
        "created_at": ctx.now(),
        "tool_resources": tool_resources(ctx, body.get("tool_resources"), f"{prefix}tool_resources"),
        "metadata": check_metadata(body.get("metadata"), f"{prefix}metadata") or {},
    }
    messages = list(body.get("messages") or [])
    prepared = [_content(ctx, m, f"{prefix}messages[{i}]") for i, m in enumerate(messages)]
    with ctx.store.lock:
        ctx.store.put(KIND, thread)
        for message, (content, attachments) in zip(messages, prepared, strict=True):
            add_message(ctx, thread["id"], message["role"], content, attachments, message.get("metadata"))
    return thread


def add_message(
    ctx: Context,
    thread_id: str,
    role: str,
    content: list[dict[str, Any]],
    attachments: list[dict[str, Any]] | None = None,
    metadata: Any = None,
    assistant_id: str | None = None,
    run_id: str | None = None,
    status: str = "completed",
) -> dict[str, Any]:
    now = ctx.now()
    message = {
        "id": ctx.new_id(MESSAGE),
        "object": MESSAGE,
        "created_at": now,
        "thread_id": thread_id,
        "status": status,
        "incomplete_details": None,
        "completed_at": now if status == "completed" else None,
        "incomplete_at": None,
        "role": role,
        "content": content,
        "assistant_id": assistant_id,
        "run_id": run_id,
        "attachments": attachments or [],
        "metadata": check_metadata(metadata) or {},
    }
    return ctx.store.put(MESSAGE, message, parent=thread_id)


def user_message(ctx: Context, thread_id: str, request: dict[str, Any], param: str = "") -> dict[str, Any]:
    """Add a message from a CreateMessageRequest body."""
    content, attachments = _content(ctx, request, param)
    return add_message(ctx, thread_id, request["role"], content, attachments, request.get("metadata"))


def text_content(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"value": text, "annotations": []}}


def _content(
    ctx: Context, request: dict[str, Any], param: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A CreateMessageRequest's content and attachments as a MessageObject holds them."""
    prefix = f"{param}." if param else ""
    check_metadata(request.get("metadata"), f"{prefix}metadata")
    given = request.get("content")
    parts: list[dict[str, Any]] = []
    if isinstance(given, str):
        parts.append(text_content(given))
    else:
        for index, part in enumerate(given or []):
            kind = part.get("type")
            if kind == "text":
                parts.append(text_content(part.get("text", "")))
            elif kind == "image_file":
                file_id = part["image_file"]["file_id"]
                require(ctx, "file", file_id, param=f"{prefix}content[{index}].image_file.file_id")
                parts.append({"type": "image_file", "image_file": dict(part["image_file"])})
            else:
                parts.append(dict(part))
    attachments = []
    for index, attachment in enumerate(request.get("attachments") or []):
        file_id = _attached_file(ctx, attachment, f"{prefix}attachments[{index}].file_id")
        attachments.append({"file_id": file_id, "tools": list(attachment.get("tools") or [])})
    return parts, attachments


def _attached_file(ctx: Context, attachment: dict[str, Any], param: str) -> str:
    """The file an attachment names. The spec puts `required: [file_id, tools]` on the array, where it
    binds nothing, so a schema-valid attachment may lack `file_id`; the real API answers 400 naming it."""
    file_id = attachment.get("file_id")
    if not isinstance(file_id, str):
        ctx.error(
            400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
        )
    require(ctx, "file", file_id, param=param)
    return file_id


def _thread(ctx: Context) -> dict[str, Any]:
    return require(ctx, KIND, ctx.path_params["thread_id"])


def _catch_up(ctx: Context, thread_id: str) -> None:
    from conformance.emulator.endpoints.runs import advance_thread

    advance_thread(ctx, thread_id)


# -- threads -------------------------------------------------------------------------------------


@handles("createThread")
async def create_thread_handler(ctx: Context) -> Response:
    return ctx.json(create_thread(ctx, ctx.body or {}))


@handles("getThread")
async def get_thread(ctx: Context) -> Response:
    return ctx.json(_thread(ctx))


@handles("modifyThread")
async def modify_thread(ctx: Context) -> Response:
    with ctx.store.lock:
        thread = _thread(ctx)
        body = ctx.body or {}
        changes: dict[str, Any] = {}
        if "metadata" in body:
            changes["metadata"] = check_metadata(body["metadata"]) or {}
        if "tool_resources" in body:
            changes["tool_resources"] = tool_resources(ctx, body["tool_resources"])
        return ctx.json(ctx.store.update(KIND, thread["id"], changes))


@handles("deleteThread")
async def delete_thread(ctx: Context) -> Response:
    thread_id = ctx.path_params["thread_id"]
    with ctx.store.lock:
        if ctx.store.delete(KIND, thread_id) is None:
            ctx.not_found(KIND, thread_id)
        for message in ctx.store.list(MESSAGE, parent=thread_id):
            ctx.store.delete(MESSAGE, message["id"])
        for run in ctx.store.list("thread.run", parent=thread_id):
            ctx.store.delete("thread.run", run["id"])
            for step in ctx.store.list("thread.run.step", parent=run["id"]):
                ctx.store.delete("thread.run.step", step["id"])
    return ctx.json(deleted(thread_id, "thread.deleted"))


# -- messages ------------------------------------------------------------------------------------


@handles("createMessage")
async def create_message(ctx: Context) -> Response:
    from conformance.emulator.endpoints.runs import active_run

    with ctx.store.lock:
        thread = _thread(ctx)
        _catch_up(ctx, thread["id"])
        running = active_run(ctx, thread["id"])
        if running is not None:
            ctx.error(
                400,
                f"Can't add messages to {thread['id']} while a run {running['id']} is active.",
                code="thread_locked",
            )
        return ctx.json(user_message(ctx, thread["id"], ctx.body))


@handles("listMessages")
async def list_messages(ctx: Context) -> Response:
    thread = _thread(ctx)
    _catch_up(ctx, thread["id"])
    messages = ctx.store.list(MESSAGE, parent=thread["id"], copy=False)
    run_id = ctx.query.get("run_id")
    if run_id:
        messages = [m for m in messages if m["run_id"] == run_id]
    return ctx.json(ctx.paginate(messages))


@handles("getMessage")
async def get_message(ctx: Context) -> Response:
    thread = _thread(ctx)
    _catch_up(ctx, thread["id"])
    return ctx.json(require(ctx, MESSAGE, ctx.path_params["message_id"], parent=thread["id"]))


@handles("modifyMessage")
async def modify_message(ctx: Context) -> Response:
    with ctx.store.lock:
        thread = _thread(ctx)
        message = require(ctx, MESSAGE, ctx.path_params["message_id"], parent=thread["id"])
        changes = {}
        if "metadata" in (ctx.body or {}):
            changes["metadata"] = check_metadata(ctx.body["metadata"]) or {}
        return ctx.json(ctx.store.update(MESSAGE, message["id"], changes))


@handles("deleteMessage")
async def delete_message(ctx: Context) -> Response:
    with ctx.store.lock:
        thread = _thread(ctx)
        message = require(ctx, MESSAGE, ctx.path_params["message_id"], parent=thread["id"])
        ctx.store.delete(MESSAGE, message["id"])
    return ctx.json(deleted(message["id"], "thread.message.deleted"))
