"""Threads and their messages as stored records: what the run engine and the handlers build on."""

from __future__ import annotations

from typing import Any

from conformance.emulator.common import require
from conformance.emulator.context import Context
from conformance.emulator.endpoints.assistants import tool_resources
from conformance.emulator.limits import check_metadata

KIND = "thread"
MESSAGE = "thread.message"


def create_thread(ctx: Context, body: dict[str, Any], param: str = "") -> dict[str, Any]:
    """Create a thread and its initial messages (createThread and createThreadAndRun)."""
    prefix = f"{param}." if param else ""
    thread: dict[str, Any] = {
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
