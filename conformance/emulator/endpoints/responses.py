"""The Responses API: the same deterministic model as chat, as `response` objects and stream events.

* Plain text input or input items; the reply echoes the last user text. Function tools produce a
  `function_call` item (until the input carries a `function_call_output`); `text.format` of type
  `json_schema` answers JSON fitting the schema.
* `stream: true` sends the documented event sequence (`response.created` … `response.completed`)
  with increasing `sequence_number`s.
* Responses are stored unless `store: false` (retrieve, delete, input items); `background: true`
  responses are `queued` and complete after the emulator's run delay, and can be cancelled until then.
* Every object passes through the synthesizer, which fills the many fields the schema requires from
  the request (temperature, tools, metadata, ...), so it validates against the spec.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response, StreamingResponse

from conformance.emulator import textgen
from conformance.emulator.aliases import local_operation
from conformance.emulator.context import Context
from conformance.emulator.endpoints.chat import structured
from conformance.emulator.endpoints.generic import add_object, find_object, item_schema
from conformance.emulator.items import input_items
from conformance.emulator.registry import handles
from conformance.emulator.synth import success_schema, synthesizer
from conformance.spec import schema_properties

KIND = "response"
INPUT_ITEMS = "response.input_item"
ECHOED = (
    "instructions",
    "metadata",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_output_tokens",
    "previous_response_id",
    "text",
    "truncation",
    "user",
    "reasoning",
    "background",
    "service_tier",
    "store",
    "prompt_cache_key",
    "safety_identifier",
    "top_logprobs",
    "max_tool_calls",
)


def _last_user_text(items: list[dict[str, Any]]) -> str:
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            return textgen.text_of(item.get("content"))
    return ""


def _output(body: dict[str, Any], items: list[dict[str, Any]], seed: str) -> list[dict[str, Any]]:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    answered = any(i.get("type") == "function_call_output" for i in items)
    choice = body.get("tool_choice", "auto")
    if tools and choice != "none" and (choice == "required" or isinstance(choice, dict) or not answered):
        tool = tools[0]
        if isinstance(choice, dict) and choice.get("name"):
            tool = next((t for t in tools if t.get("name") == choice["name"]), tool)
        params = tool.get("parameters") or {"type": "object", "properties": {}}
        return [
            {
                "type": "function_call",
                "id": "fc_" + textgen.digest(seed, "fc"),
                "call_id": "call_" + textgen.digest(seed, "call"),
                "name": tool.get("name", "function"),
                "arguments": structured(params, seed),
                "status": "completed",
            }
        ]
    fmt = ((body.get("text") or {}).get("format") or {}) if isinstance(body.get("text"), dict) else {}
    if fmt.get("type") == "json_schema":
        text = structured(fmt.get("schema") or {}, seed)
    elif fmt.get("type") == "json_object":
        text = json.dumps({"reply": textgen.reply(_last_user_text(items))[0]})
    else:
        text = textgen.reply(_last_user_text(items), body.get("max_output_tokens"))[0]
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return [
        {
            "type": "message",
            "id": "msg_" + textgen.digest(seed, "msg"),
            "status": "completed",
            "role": "assistant",
            "content": [part],
        }
    ]


def _usage(items: list[dict[str, Any]], output: list[dict[str, Any]], instructions: Any) -> dict[str, Any]:
    prompt = textgen.count(items) + textgen.count(instructions)
    completion = textgen.count(output)
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def _declares(ctx: Context, name: str) -> bool:
    """Whether the loaded spec's request body has the field: an older spec's API had no such feature."""
    schema = ctx.operation.request_bodies.get("application/json")
    return schema is not None and name in schema_properties(ctx.spec.document, schema)


def _finish(ctx: Context, response: dict[str, Any]) -> dict[str, Any]:
    """A response object that validates: the hand-built fields, the rest synthesised from the request."""
    schema = local_operation(ctx.spec, "getResponse").responses["200"].content["application/json"]
    return synthesizer(ctx.spec).value(schema, response, seed=response["id"], now=ctx.now())


CONVERSATIONS = "/conversations"
CONVERSATION_ITEMS = "/conversations/{conversation_id}/items"


def _context(ctx: Context, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """Earlier items the model sees (a previous response's, a conversation's) and the conversation id."""
    earlier: list[dict[str, Any]] = []
    previous = body.get("previous_response_id")
    if previous:
        found = ctx.store.get(KIND, str(previous))
        if found is None:
            ctx.error(404, f"Previous response with id '{previous}' not found.", param="previous_response_id")
        earlier += [i for i in ctx.store.list(INPUT_ITEMS, parent=found["id"])] + list(
            found.get("output") or []
        )
    conversation = body.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
    if conversation_id:
        if find_object(ctx, CONVERSATIONS, str(conversation_id)) is None:
            ctx.error(404, f"Conversation with id '{conversation_id}' not found.", param="conversation")
        records = ctx.store.list(f"generic:{CONVERSATION_ITEMS}", parent=str(conversation_id))
        earlier += [r["data"] for r in records]
    return earlier, str(conversation_id) if conversation_id else None


@handles("createResponse")
async def create_response(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if body.get("previous_response_id") and body.get("conversation"):
        ctx.error(400, "Use either 'previous_response_id' or 'conversation', not both.", param="conversation")
    earlier, conversation_id = _context(ctx, body)
    items = input_items(body.get("input"))
    response_id = ctx.new_id("resp_")
    output = _output(body, [*earlier, *items], response_id)
    response: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": ctx.now(),
        "status": "completed",
        "completed_at": ctx.now(),
        "model": body.get("model") or "gpt-4o-mini",
        "output": output,
        "usage": _usage([*earlier, *items], output, body.get("instructions")),
        "conversation": {"id": conversation_id} if conversation_id else None,
        "error": None,
        "incomplete_details": None,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "metadata": body.get("metadata") or {},
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        **{k: body[k] for k in ECHOED if k in body and k not in ("tool_choice", "tools", "metadata")},
    }
    if body.get("background") and not body.get("stream") and _declares(ctx, "background"):
        # a streamed background response runs to completion in its stream
        response.update(status="queued", output=[], usage=None, completed_at=None)
        response["_pending"] = {"output": output, "usage": response["usage"]}
    public = _finish(ctx, {k: v for k, v in response.items() if not k.startswith("_")})
    if body.get("store", True) is not False:
        ctx.store.put(KIND, {**public, **{k: v for k, v in response.items() if k.startswith("_")}})
        for position, item in enumerate(items):
            stored = {"id": item.get("id") or f"msg_{textgen.digest(response_id, position)}", **item}
            if stored.get("type") == "message":
                stored.setdefault("status", "completed")
            ctx.store.put(INPUT_ITEMS, {**stored, "created_at": position}, parent=response_id)
    if conversation_id:  # the conversation gains this turn's input and output
        for position, item in enumerate([*items, *output]):
            added = {"id": item.get("id") or f"msg_{textgen.digest(response_id, 'in', position)}", **item}
            if added.get("type") == "message":
                added.setdefault("status", "completed")
            add_object(ctx, CONVERSATION_ITEMS, {"conversation_id": conversation_id}, added)
    if body.get("stream") and ctx.operation.streams:
        return StreamingResponse(_events(ctx, public), media_type="text/event-stream")
    return ctx.json(public)


def _events(ctx: Context, final: dict[str, Any]) -> Any:
    schema = ctx.operation.responses["200"].content["text/event-stream"]
    synth = synthesizer(ctx.spec)
    sequence = 0

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal sequence
        data = synth.value(schema, {"type": kind, "sequence_number": sequence, **fields}, seed=final["id"])
        if isinstance(fields.get("response"), dict) and fields["response"].get("usage", {}) is None:
            data["response"].pop("usage", None)  # not counted yet; the real API sends null (real_api)
        sequence += 1
        return textgen.sse(data, event=kind)

    started = {**final, "status": "in_progress", "output": [], "usage": None, "completed_at": None}
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    for index, item in enumerate(final["output"]):
        if item.get("type") == "message":
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            for part_index, part in enumerate(item.get("content") or []):
                text = part.get("text", "")
                empty = {**part, "text": ""}
                ids = {"item_id": item["id"], "output_index": index, "content_index": part_index}
                yield event("response.content_part.added", **ids, part=empty)
                for piece in textgen.chunks(text):
                    yield event("response.output_text.delta", **ids, delta=piece, logprobs=[])
                yield event("response.output_text.done", **ids, text=text, logprobs=[])
                yield event("response.content_part.done", **ids, part=part)
        elif item.get("type") == "function_call":
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "arguments": "", "status": "in_progress"},
            )
            for piece in textgen.chunks(item["arguments"], 4):
                yield event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=index,
                    delta=piece,
                )
            yield event(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                arguments=item["arguments"],
                name=item.get("name"),
            )
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=final)


def _require(ctx: Context) -> dict[str, Any]:
    response_id = ctx.path_params["response_id"]
    found = ctx.store.get(KIND, response_id)
    if found is None:
        ctx.error(404, f"Response with id '{response_id}' not found.", param="response_id")
    return _advance(ctx, found)


def _advance(ctx: Context, stored: dict[str, Any]) -> dict[str, Any]:
    """Background responses: queued → completed once the run delay has passed."""
    pending = stored.get("_pending")
    if pending and stored.get("status") in ("queued", "in_progress"):
        if ctx.now() - int(stored.get("created_at") or 0) >= ctx.settings.run_delay:
            stored = {k: v for k, v in stored.items() if k != "_pending"}
            stored.update(
                status="completed", output=pending["output"], usage=pending["usage"], completed_at=ctx.now()
            )
            stored = _finish(ctx, stored)
            ctx.store.put(KIND, stored)
    return stored


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if not k.startswith("_")}


@handles("getResponse")
async def get_response(ctx: Context) -> Response:
    return ctx.json(_public(_require(ctx)))


@handles("deleteResponse")
async def delete_response(ctx: Context) -> Response:
    stored = _require(ctx)
    ctx.store.delete(KIND, stored["id"])
    for item in ctx.store.list(INPUT_ITEMS, parent=stored["id"]):
        ctx.store.delete(INPUT_ITEMS, item["id"])
    status, schema = success_schema(ctx.operation)
    deleted = {"id": stored["id"], "object": "response.deleted", "deleted": True}
    return ctx.json(deleted, status=status) if schema is not None else Response(status_code=status)


@handles("cancelResponse")
async def cancel_response(ctx: Context) -> Response:
    stored = ctx.store.get(KIND, ctx.path_params["response_id"])
    if stored is None:
        _require(ctx)
    assert stored is not None
    if not stored.get("background"):
        ctx.error(400, "Only responses created with background=true can be cancelled.", param="response_id")
    if stored.get("status") in ("queued", "in_progress"):
        stored = {k: v for k, v in stored.items() if k != "_pending"}
        stored["status"] = "cancelled"
        stored = _finish(ctx, stored)
        ctx.store.put(KIND, stored)
    return ctx.json(_public(stored))


@handles("listInputItems")
async def list_input_items(ctx: Context) -> Response:
    stored = _require(ctx)
    items = ctx.store.list(INPUT_ITEMS, parent=stored["id"])
    page = ctx.paginate(items)
    schema = success_schema(ctx.operation)[1]
    each = item_schema(ctx.spec, schema)
    synth = synthesizer(ctx.spec)
    page["data"] = [
        synth.value(each, {k: v for k, v in i.items() if k != "created_at"}, seed=i["id"])
        for i in page["data"]
    ]
    return ctx.json(page)


@handles("Getinputtokencounts")
async def input_tokens(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    count = textgen.count(input_items(body.get("input"))) + textgen.count(body.get("instructions"))
    return ctx.json({"object": "response.input_tokens", "input_tokens": count})
