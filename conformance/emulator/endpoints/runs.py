"""Runs and run steps, driven by a deterministic fake model, plus the Assistants event stream.

The fake model's rule (documented for users of the emulator):

* A run goes queued → in_progress → completed; each state lasts `settings.run_delay` seconds
  (0: the next read of the run, or of its thread's messages, finds it completed). Runs advance
  lazily on every read, so no background task is needed and a restart loses nothing.
* On completion it writes one assistant message, `"Echo: <last user message text>"` (after tool
  outputs: `"Tool results: <name>: <output>; ..."`), and a `message_creation` step.
* Tool calls: when the run has `function` tools and `tool_choice` is not `"none"`, and either
  `tool_choice` is `"required"` or names a function, or the last user message mentions a function
  tool's name (a whole word, any case), the run goes to `requires_action` with one call to that
  function (the named one, else the first mentioned, else the first function tool). Its arguments
  are the first JSON object in the message text, else `{}`. `submit_tool_outputs` with an output
  for that call id continues the run (queued again) to completed.
* Limits: a prompt over `max_prompt_tokens` (words in the thread and instructions) ends the run
  `incomplete` without a message; a reply over `max_completion_tokens` (words) is cut there, the
  message `incomplete` (`max_tokens`) and the run `incomplete` (`max_completion_tokens`).
* Failure: when the last user message contains `#fail`, the run ends `failed` with
  `last_error.code = "server_error"`.
* `cancel` takes a queued, in-progress or requires_action run to `cancelling`, then `cancelled`.
* A run not finished by `expires_at` (created_at + `settings.run_expiry`) becomes `expired`.
* `stream: true` answers with the Assistants SSE stream of the same transitions, ending with
  `event: done` / `data: [DONE]`; it stops at `requires_action` (submit with `stream: true` resumes).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from conformance.emulator.common import require
from conformance.emulator.context import Context
from conformance.emulator.endpoints import thread_store
from conformance.emulator.endpoints.assistants import tool_resources
from conformance.emulator.limits import check_metadata
from conformance.emulator.registry import handles

KIND = "thread.run"
STEP = "thread.run.step"
ACTIVE = ("queued", "in_progress", "requires_action", "cancelling")
TERMINAL = ("completed", "cancelled", "failed", "incomplete", "expired")
_WORD = re.compile(r"\w+")
# A user message holding this marker makes the fake model fail the run (to test failure paths).
FAIL_MARKER = "#fail"
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)

Event = tuple[str, dict[str, Any]]


# -- reading runs --------------------------------------------------------------------------------


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def active_run(ctx: Context, thread_id: str) -> dict[str, Any] | None:
    for run in ctx.store.list(KIND, parent=thread_id):
        if run["status"] in ACTIVE:
            return run
    return None


def advance_thread(ctx: Context, thread_id: str) -> None:
    """Let every active run of a thread catch up with the clock."""
    with ctx.store.lock:
        for run in ctx.store.list(KIND, parent=thread_id):
            if run["status"] in ACTIVE:
                advance(ctx, run)


def advance(ctx: Context, run: dict[str, Any], force: bool = False) -> tuple[dict[str, Any], list[Event]]:
    """Apply every transition that is due (or, with `force`, the next one regardless of the
    clock); returns the stored run and the stream events of the transitions made."""
    events: list[Event] = []
    with ctx.store.lock:
        run = ctx.store.get(KIND, run["id"]) or run
        while run["status"] in ACTIVE:
            now = ctx.settings.clock()
            if run["status"] != "cancelling" and run["expires_at"] is not None and now >= run["expires_at"]:
                run = _expire(ctx, run, events)
                break
            if run["status"] == "requires_action":
                break
            if not force and now < run["_phase_at"] + ctx.settings.run_delay:
                break
            run = _step(ctx, run, events)
            if force:
                break
    return run, events


def _save(ctx: Context, run: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changes["_phase_at"] = ctx.settings.clock()
    return ctx.store.update(KIND, run["id"], changes)


def _step(ctx: Context, run: dict[str, Any], events: list[Event]) -> dict[str, Any]:
    status = run["status"]
    if status == "queued":
        run = _save(ctx, run, status="in_progress", started_at=run["started_at"] or ctx.now())
        events.append(("thread.run.in_progress", public(run)))
    elif status == "cancelling":
        for step in ctx.store.list(STEP, parent=run["id"]):
            if step["status"] == "in_progress":
                ctx.store.update(STEP, step["id"], {"status": "cancelled", "cancelled_at": ctx.now()})
        run = _save(ctx, run, status="cancelled", cancelled_at=ctx.now(), expires_at=None)
        events.append(("thread.run.cancelled", public(run)))
    elif status == "in_progress":
        call = None if run.get("_outputs") is not None else _tool_call(ctx, run)
        run = _call_tool(ctx, run, call, events) if call else _reply(ctx, run, events)
    return run


def _expire(ctx: Context, run: dict[str, Any], events: list[Event]) -> dict[str, Any]:
    for step in ctx.store.list(STEP, parent=run["id"]):
        if step["status"] == "in_progress":
            ctx.store.update(STEP, step["id"], {"status": "expired", "expired_at": ctx.now()})
    run = _save(ctx, run, status="expired", required_action=None)
    events.append(("thread.run.expired", public(run)))
    return run


# -- the fake model ------------------------------------------------------------------------------


def _last_user_text(ctx: Context, thread_id: str) -> str:
    for message in reversed(ctx.store.list(thread_store.MESSAGE, parent=thread_id)):
        if message["role"] == "user":
            return _text(message)
    return ""


def _text(message: dict[str, Any]) -> str:
    return " ".join(p["text"]["value"] for p in message["content"] if p.get("type") == "text")


def _tool_call(ctx: Context, run: dict[str, Any]) -> dict[str, Any] | None:
    """The documented rule: which function (if any) this run calls."""
    functions = [t["function"] for t in run["tools"] if t.get("type") == "function"]
    choice = run.get("tool_choice") or "auto"
    if not functions or choice == "none":
        return None
    text = _last_user_text(ctx, run["thread_id"])
    words = {w.lower() for w in _WORD.findall(text)}
    named = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    mentioned = [f for f in functions if f["name"].lower() in words]
    if named:
        target = next((f for f in functions if f["name"] == named), functions[0])
    elif mentioned:
        target = mentioned[0]
    elif choice == "required":
        target = functions[0]
    else:
        return None
    match = _JSON_OBJECT.search(text)
    arguments = "{}"
    if match:
        try:
            arguments = json.dumps(json.loads(match.group(0)))
        except ValueError:
            pass
    return {
        "id": ctx.new_id("tool_call"),
        "type": "function",
        "function": {"name": target["name"], "arguments": arguments},
    }


def _new_step(ctx: Context, run: dict[str, Any], kind: str, details: dict[str, Any]) -> dict[str, Any]:
    step = {
        "id": ctx.new_id(STEP),
        "object": STEP,
        "created_at": ctx.now(),
        "run_id": run["id"],
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "type": kind,
        "status": "in_progress",
        "cancelled_at": None,
        "completed_at": None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
        "metadata": {},
    }
    return ctx.store.put(STEP, step, parent=run["id"])


def _call_tool(
    ctx: Context, run: dict[str, Any], call: dict[str, Any], events: list[Event]
) -> dict[str, Any]:
    step_call = {**call, "function": {**call["function"], "output": None}}
    step = _new_step(ctx, run, "tool_calls", {"type": "tool_calls", "tool_calls": [step_call]})
    events.append(("thread.run.step.created", step))
    events.append(("thread.run.step.in_progress", step))
    required = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [call]}}
    run = _save(ctx, run, status="requires_action", required_action=required, _tool_step=step["id"])
    events.append(("thread.run.requires_action", public(run)))
    return run


def _tokens(text: str) -> int:
    """The fake model counts whitespace-separated words as tokens."""
    return len(text.split())


def _reply(ctx: Context, run: dict[str, Any], events: list[Event]) -> dict[str, Any]:
    now = ctx.now()
    user_text = _last_user_text(ctx, run["thread_id"])
    prompt = sum(_tokens(_text(m)) for m in ctx.store.list(thread_store.MESSAGE, parent=run["thread_id"]))
    prompt += _tokens(run["instructions"])
    if FAIL_MARKER in user_text.lower() and run.get("_outputs") is None:
        error = {"code": "server_error", "message": f"The fake model was asked to fail ({FAIL_MARKER})."}
        run = _save(ctx, run, status="failed", failed_at=now, last_error=error, expires_at=None)
        events.append(("thread.run.failed", public(run)))
        return run
    limit = run.get("max_prompt_tokens")
    if limit is not None and prompt > limit:
        usage = {"prompt_tokens": prompt, "completion_tokens": 0, "total_tokens": prompt}
        details = {"reason": "max_prompt_tokens"}
        run = _save(ctx, run, status="incomplete", incomplete_details=details, usage=usage, expires_at=None)
        events.append(("thread.run.incomplete", public(run)))
        return run
    outputs = run.get("_outputs")
    if outputs is not None:
        text = "Tool results: " + "; ".join(f"{o['name']}: {o['output']}" for o in outputs)
    else:
        text = "Echo: " + (user_text or "(no user message)")
    pieces = re.findall(r"\S+\s*", text) or [text]
    limit = run.get("max_completion_tokens")
    truncated = limit is not None and len(pieces) > limit
    if truncated:
        pieces = pieces[:limit]
        text = "".join(pieces)
    message = thread_store.add_message(
        ctx,
        run["thread_id"],
        "assistant",
        [],
        assistant_id=run["assistant_id"],
        run_id=run["id"],
        status="in_progress",
    )
    step = _new_step(
        ctx,
        run,
        "message_creation",
        {"type": "message_creation", "message_creation": {"message_id": message["id"]}},
    )
    events.append(("thread.run.step.created", step))
    events.append(("thread.run.step.in_progress", step))
    events.append(("thread.message.created", message))
    events.append(("thread.message.in_progress", message))
    for chunk in pieces:
        part = {"index": 0, "type": "text", "text": {"value": chunk, "annotations": []}}
        delta = {"id": message["id"], "object": "thread.message.delta", "delta": {"content": [part]}}
        events.append(("thread.message.delta", delta))
    done: dict[str, Any] = {"content": [thread_store.text_content(text)]}
    if truncated:
        done.update(status="incomplete", incomplete_at=now, incomplete_details={"reason": "max_tokens"})
    else:
        done.update(status="completed", completed_at=now)
    message = ctx.store.update(thread_store.MESSAGE, message["id"], done)
    events.append(("thread.message.incomplete" if truncated else "thread.message.completed", message))
    completion = len(pieces)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    step = ctx.store.update(STEP, step["id"], {"status": "completed", "completed_at": now, "usage": usage})
    events.append(("thread.run.step.completed", step))
    finished: dict[str, Any] = {"usage": usage, "required_action": None, "expires_at": None}
    if truncated:
        finished.update(status="incomplete", incomplete_details={"reason": "max_completion_tokens"})
    else:
        finished.update(status="completed", completed_at=now)
    run = _save(ctx, run, **finished)
    events.append((f"thread.run.{run['status']}", public(run)))
    return run


# -- creating runs -------------------------------------------------------------------------------

_OVERRIDES = ("temperature", "top_p", "max_prompt_tokens", "max_completion_tokens", "parallel_tool_calls")


def create_run(ctx: Context, thread_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], list[Event]]:
    """Create a queued run on a thread (its additional messages first)."""
    assistant = require(ctx, "assistant", body["assistant_id"], param="assistant_id")
    metadata = check_metadata(body.get("metadata")) or {}
    advance_thread(ctx, thread_id)
    running = active_run(ctx, thread_id)
    if running is not None:
        ctx.error(400, f"Thread {thread_id} already has an active run {running['id']}.", code="thread_locked")
    for index, message in enumerate(body.get("additional_messages") or []):
        thread_store.user_message(ctx, thread_id, message, f"additional_messages[{index}]")
    instructions = body.get("instructions")
    if instructions is None:
        instructions = assistant.get("instructions") or ""
    if body.get("additional_instructions"):
        instructions = (
            f"{instructions}\n{body['additional_instructions']}"
            if instructions
            else body["additional_instructions"]
        )
    now = ctx.now()
    tools = body.get("tools")
    run = {
        "id": ctx.new_id(KIND),
        "object": KIND,
        "created_at": now,
        "thread_id": thread_id,
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": now + ctx.settings.run_expiry,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": body.get("model") or assistant["model"],
        "instructions": instructions,
        "tools": (assistant.get("tools") or []) if tools is None else tools,
        "metadata": metadata,
        "usage": None,
        "temperature": assistant.get("temperature", 1.0)
        if body.get("temperature") is None
        else body["temperature"],
        "top_p": assistant.get("top_p", 1.0) if body.get("top_p") is None else body["top_p"],
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": body.get("truncation_strategy") or {"type": "auto", "last_messages": None},
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": True
        if body.get("parallel_tool_calls") is None
        else body["parallel_tool_calls"],
        "response_format": body.get("response_format") or assistant.get("response_format") or "auto",
        "_phase_at": ctx.settings.clock(),
    }
    if run["tools"] and len(run["tools"]) > 20:
        ctx.error(
            400,
            "Invalid 'tools': a run holds at most 20 tools.",
            param="tools",
            code="array_above_max_length",
        )
    run = ctx.store.put(KIND, run, parent=thread_id)
    return run, [("thread.run.created", public(run)), ("thread.run.queued", public(run))]


def _answer(ctx: Context, run: dict[str, Any], events: list[Event], stream: bool) -> Response:
    if not stream:
        return ctx.json(public(run))
    return StreamingResponse(_events(ctx, run, events), media_type="text/event-stream")


async def _events(ctx: Context, run: dict[str, Any], first: list[Event]) -> AsyncIterator[bytes]:
    for event in first:
        yield _frame(*event)
    while run["status"] in ACTIVE and run["status"] != "requires_action":
        if ctx.settings.run_delay:
            await asyncio.sleep(ctx.settings.run_delay)
        run, events = advance(ctx, run, force=True)
        for event in events:
            yield _frame(*event)
        if not events:
            break
    yield b"event: done\ndata: [DONE]\n\n"


def _frame(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _thread(ctx: Context) -> dict[str, Any]:
    return require(ctx, thread_store.KIND, ctx.path_params["thread_id"])


def _run(ctx: Context) -> dict[str, Any]:
    thread = _thread(ctx)
    run = require(ctx, KIND, ctx.path_params["run_id"], parent=thread["id"])
    return advance(ctx, run)[0]


# -- handlers ------------------------------------------------------------------------------------


@handles("createRun")
async def create_run_handler(ctx: Context) -> Response:
    with ctx.store.lock:
        thread = _thread(ctx)
        run, events = create_run(ctx, thread["id"], ctx.body)
    return _answer(ctx, run, events, bool(ctx.body.get("stream")))


@handles("createThreadAndRun")
async def create_thread_and_run(ctx: Context) -> Response:
    body = ctx.body
    with ctx.store.lock:
        require(ctx, "assistant", body["assistant_id"], param="assistant_id")
        thread = thread_store.create_thread(ctx, body.get("thread") or {}, "thread")
        if body.get("tool_resources"):
            thread = ctx.store.update(
                thread_store.KIND,
                thread["id"],
                {"tool_resources": tool_resources(ctx, body["tool_resources"])},
            )
        run, events = create_run(ctx, thread["id"], body)
    return _answer(ctx, run, [("thread.created", thread), *events], bool(body.get("stream")))


@handles("listRuns")
async def list_runs(ctx: Context) -> Response:
    thread = _thread(ctx)
    advance_thread(ctx, thread["id"])
    page = ctx.paginate(ctx.store.list(KIND, parent=thread["id"], copy=False))
    page["data"] = [public(r) for r in page["data"]]
    return ctx.json(page)


@handles("getRun")
async def get_run(ctx: Context) -> Response:
    return ctx.json(public(_run(ctx)))


@handles("modifyRun")
async def modify_run(ctx: Context) -> Response:
    with ctx.store.lock:
        run = _run(ctx)
        changes = {}
        if "metadata" in (ctx.body or {}):
            changes["metadata"] = check_metadata(ctx.body["metadata"]) or {}
        return ctx.json(public(ctx.store.update(KIND, run["id"], changes)))


@handles("cancelRun")
async def cancel_run(ctx: Context) -> Response:
    with ctx.store.lock:
        run = _run(ctx)
        if run["status"] not in ("queued", "in_progress", "requires_action"):
            ctx.error(400, f"Cannot cancel run with status '{run['status']}'.", code="run_not_cancellable")
        run = _save(ctx, run, status="cancelling", required_action=None)
        return ctx.json(public(run))


@handles("submitToolOuputsToRun", "submitToolOutputsToRun")
async def submit_tool_outputs(ctx: Context) -> Response:
    body = ctx.body or {}
    with ctx.store.lock:
        run = _run(ctx)
        if run["status"] != "requires_action" or not run.get("required_action"):
            ctx.error(
                400,
                f'Runs in status "{run["status"]}" do not accept tool outputs.',
                code="run_not_requires_action",
            )
        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
        given = {o.get("tool_call_id"): o.get("output", "") for o in body.get("tool_outputs") or []}
        for index, call_id in enumerate(given):
            if call_id not in {c["id"] for c in calls}:
                ctx.error(
                    400,
                    f"No tool call found with id '{call_id}'.",
                    param=f"tool_outputs[{index}].tool_call_id",
                )
        missing = [c["id"] for c in calls if c["id"] not in given]
        if missing:
            ctx.error(
                400,
                f"Expected tool outputs for call_ids {[c['id'] for c in calls]}, got {list(given)}.",
                param="tool_outputs",
            )
        outputs = [{"name": c["function"]["name"], "output": given[c["id"]]} for c in calls]
        step = ctx.store.get(STEP, run["_tool_step"])
        if step is not None:
            finished = [{**c, "function": {**c["function"], "output": given[c["id"]]}} for c in calls]
            ctx.store.update(
                STEP,
                step["id"],
                {
                    "status": "completed",
                    "completed_at": ctx.now(),
                    "step_details": {"type": "tool_calls", "tool_calls": finished},
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                },
            )
            events: list[Event] = [("thread.run.step.completed", ctx.store.one(STEP, step["id"]))]
        else:
            events = []
        run = _save(ctx, run, status="queued", required_action=None, _outputs=outputs)
        events.append(("thread.run.queued", public(run)))
    return _answer(ctx, run, events, bool(body.get("stream")))


@handles("listRunSteps")
async def list_run_steps(ctx: Context) -> Response:
    run = _run(ctx)
    return ctx.json(ctx.paginate(ctx.store.list(STEP, parent=run["id"], copy=False)))


@handles("getRunStep")
async def get_run_step(ctx: Context) -> Response:
    run = _run(ctx)
    return ctx.json(require(ctx, STEP, ctx.path_params["step_id"], parent=run["id"]))
