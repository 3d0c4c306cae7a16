"""Threads (with initial messages and tool_resources) and their messages: the handlers.

Reads of a thread's messages first let its active runs catch up (see `runs.advance_thread`), so a
client that polls messages sees what the fake model wrote.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.emulator.common import deleted, require
from conformance.emulator.context import Context
from conformance.emulator.endpoints.assistants import tool_resources
from conformance.emulator.endpoints.runs import active_run, advance_thread
from conformance.emulator.endpoints.thread_store import (
    KIND,
    MESSAGE,
    create_thread,
    user_message,
)
from conformance.emulator.limits import check_metadata
from conformance.emulator.registry import handles


def _thread(ctx: Context) -> dict[str, Any]:
    return require(ctx, KIND, ctx.path_params["thread_id"])


def _catch_up(ctx: Context, thread_id: str) -> None:
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
