"""Chat completions: a deterministic model with tool calls, structured output, streaming and storage.

* The reply echoes the last user message (`textgen.reply`); `max_tokens`/`max_completion_tokens`
  truncate it (`finish_reason: length`).
* With `tools`, the model calls one (`tool_choice` required, a named function, or `auto` while the
  conversation has no tool result yet), arguments synthesised to fit the function's `parameters`.
* `response_format: json_schema` answers JSON that validates against the schema; `json_object` a
  JSON object.
* `stream: true` sends `chat.completion.chunk` events and `data: [DONE]`; with
  `stream_options.include_usage` a last chunk carries the usage.
* `store: true` keeps the completion and its messages for the stored-completions operations.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response, StreamingResponse

from conformance.emulator import textgen
from conformance.emulator.context import Context
from conformance.emulator.endpoints.generic import item_schema
from conformance.emulator.registry import handles
from conformance.emulator.synth import Synthesizer, success_schema, synthesizer

KIND = "chat.completion"
MESSAGES = "chat.completion.message"
FINGERPRINT = "fp_emulator"


# -- the model -------------------------------------------------------------------------------------------


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return textgen.text_of(message.get("content"))
    return ""


def structured(schema: Any, seed: str) -> str:
    """JSON text fitting a user's JSON Schema (the structured-output reply)."""
    root = schema if isinstance(schema, dict) else {}
    return json.dumps(Synthesizer.for_schema(root).value(root, seed=seed), separators=(",", ":"))


def tool_to_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """The function tool the model calls now, or None when it answers in text."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        return next((t for t in tools if (t.get("function") or {}).get("name") == name), tools[0])
    answered = any(
        isinstance(m, dict) and m.get("role") in ("tool", "function") for m in body.get("messages") or []
    )
    if choice == "required" or not answered:
        return tools[0]
    return None


def tool_call(tool: dict[str, Any], seed: str) -> dict[str, Any]:
    function = tool.get("function") or {}
    params = function.get("parameters") or {"type": "object", "properties": {}}
    return {
        "id": "call_" + textgen.digest(seed, function.get("name"))[:24],
        "type": "function",
        "function": {"name": function.get("name", "function"), "arguments": structured(params, seed)},
    }


def choice_for(body: dict[str, Any], index: int, completion_id: str) -> tuple[dict[str, Any], int]:
    """(choice, completion tokens) for choice `index`."""
    seed = f"{completion_id}:{index}"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
    tool = tool_to_call(body)
    finish = "stop"
    if tool is not None:
        call = tool_call(tool, seed)
        message["tool_calls"] = [call]
        finish = "tool_calls"
        used = textgen.count(call["function"]["arguments"])
    else:
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            text = structured((fmt.get("json_schema") or {}).get("schema") or {}, seed)
        elif fmt.get("type") == "json_object":
            text = json.dumps({"reply": textgen.reply(last_user_text(body.get("messages") or []))[0]})
        else:
            text, cut = textgen.reply(last_user_text(body.get("messages") or []), limit)
            finish = "length" if cut else "stop"
        message["content"] = text
        used = textgen.count(text)
    logprobs = None
    if body.get("logprobs") and isinstance(message["content"], str):
        logprobs = {
            "content": token_logprobs(message["content"], int(body.get("top_logprobs") or 0)),
            "refusal": None,
        }
    return {"index": index, "message": message, "finish_reason": finish, "logprobs": logprobs}, used


def token_logprobs(text: str, top: int) -> list[dict[str, Any]]:
    """Per-token log probabilities: the chosen token is always the likeliest, alternatives trail it."""
    entries = []
    for position, token in enumerate(textgen.tokens(text)):
        chosen = -0.01 * (1 + position % 7)
        alternatives = [
            {"token": f"{token}{rank}", "logprob": chosen - rank, "bytes": list(f"{token}{rank}".encode())}
            for rank in range(1, top)
        ]
        head = {"token": token, "logprob": chosen, "bytes": list(token.encode())}
        entries.append({**head, "top_logprobs": [head, *alternatives] if top else []})
    return entries


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def complete(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    completion_id = ctx.new_id("chatcmpl-")
    n = int(body.get("n") or 1)
    choices, used = [], 0
    for index in range(n):
        choice, tokens = choice_for(body, index, completion_id)
        choices.append(choice)
        used += tokens
    prompt = textgen.count(body.get("messages")) + textgen.count(body.get("tools"))
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": ctx.now(),
        "model": body.get("model") or "gpt-4o-mini",
        "choices": choices,
        "usage": usage(prompt, used),
        "service_tier": body.get("service_tier")
        if body.get("service_tier") in ("default", "flex")
        else "default",
        "system_fingerprint": FINGERPRINT,
    }


# -- handlers --------------------------------------------------------------------------------------------


@handles("createChatCompletion")
async def create_chat_completion(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if not body.get("messages"):
        ctx.error(400, "[] is too short - 'messages'", param="messages", code="empty_array")
    completion = complete(ctx, body)
    if body.get("store"):
        _store(ctx, body, completion)
    if body.get("stream") and ctx.operation.streams:  # a spec without the event stream gets JSON
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(_stream(completion, include_usage), media_type="text/event-stream")
    return ctx.json(completion)


def _store(ctx: Context, body: dict[str, Any], completion: dict[str, Any]) -> None:
    stored = {**completion, "metadata": body.get("metadata") or {}, "request_id": None}
    stored["created_at"] = completion["created"]
    ctx.store.put(KIND, stored)
    for position, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        text = content if isinstance(content, str) or content is None else textgen.text_of(content)
        item = {
            "id": f"{completion['id']}-{position}",
            "role": message.get("role", "user"),
            "content": text,
            "name": message.get("name"),
            "content_parts": None,
            "created_at": completion["created"],
        }
        ctx.store.put(MESSAGES, item, parent=completion["id"])


def _stream(completion: dict[str, Any], include_usage: bool) -> Any:
    base = {
        k: completion[k] for k in ("id", "object", "created", "model", "system_fingerprint", "service_tier")
    }
    base["object"] = "chat.completion.chunk"

    def chunk(choices: list[dict[str, Any]], usage: Any = None) -> bytes:
        data = {**base, "choices": choices}
        if include_usage:
            data["usage"] = usage
        return textgen.sse(data)

    for choice in completion["choices"]:
        index, message = choice["index"], choice["message"]
        yield chunk([{"index": index, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for position, call in enumerate(message.get("tool_calls") or []):
            head = {
                "index": position,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            yield chunk([{"index": index, "delta": {"tool_calls": [head]}, "finish_reason": None}])
            for piece in textgen.chunks(call["function"]["arguments"], 4):
                delta = {"tool_calls": [{"index": position, "function": {"arguments": piece}}]}
                yield chunk([{"index": index, "delta": delta, "finish_reason": None}])
        if message.get("content"):
            for piece in textgen.chunks(message["content"]):
                yield chunk([{"index": index, "delta": {"content": piece}, "finish_reason": None}])
        yield chunk(
            [{"index": index, "delta": {}, "finish_reason": choice["finish_reason"], "logprobs": None}]
        )
    if include_usage:
        yield chunk([], completion["usage"])
    yield textgen.DONE


def _require(ctx: Context) -> dict[str, Any]:
    completion_id = ctx.path_params["completion_id"]
    found = ctx.store.get(KIND, completion_id)
    if found is None:
        ctx.error(404, f"Chat completion {completion_id} not found.", param="completion_id")
    return found


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if k not in ("created_at", "request_id")}


@handles("listChatCompletions")
async def list_chat_completions(ctx: Context) -> Response:
    items = ctx.store.list(KIND)
    model = ctx.query.get("model")
    if model:
        items = [i for i in items if i.get("model") == model]
    metadata = ctx.query.get("metadata")
    if isinstance(metadata, dict) and metadata:
        items = [i for i in items if all((i.get("metadata") or {}).get(k) == v for k, v in metadata.items())]
    query = {**ctx.query, "order": ctx.query.get("order") or "asc"}
    page = _paginate(ctx, items, query)
    page["data"] = [_public(i) for i in page["data"]]
    return ctx.json(page)


def _paginate(ctx: Context, items: list[dict[str, Any]], query: dict[str, Any]) -> dict[str, Any]:
    from conformance.emulator import pagination

    fields = pagination.envelope_fields(ctx.spec, ctx.operation)
    return pagination.paginate(items, query, 20, fields)


@handles("getChatCompletion")
async def get_chat_completion(ctx: Context) -> Response:
    return ctx.json(_public(_require(ctx)))


@handles("updateChatCompletion")
async def update_chat_completion(ctx: Context) -> Response:
    stored = _require(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    updated = ctx.store.update(KIND, stored["id"], {"metadata": body.get("metadata") or {}})
    return ctx.json(_public(updated or stored))


@handles("deleteChatCompletion")
async def delete_chat_completion(ctx: Context) -> Response:
    stored = _require(ctx)
    ctx.store.delete(KIND, stored["id"])
    for message in ctx.store.list(MESSAGES, parent=stored["id"]):
        ctx.store.delete(MESSAGES, message["id"])
    return ctx.json({"object": "chat.completion.deleted", "id": stored["id"], "deleted": True})


@handles("getChatCompletionMessages")
async def get_chat_completion_messages(ctx: Context) -> Response:
    stored = _require(ctx)
    messages = ctx.store.list(MESSAGES, parent=stored["id"])
    query = {**ctx.query, "order": ctx.query.get("order") or "asc"}
    page = _paginate(ctx, messages, query)
    # The spec types these as response messages (role `assistant`, `refusal` required) even though they
    # are the request's messages: the answer follows the spec, repaired by the synthesizer.
    schema = item_schema(ctx.spec, success_schema(ctx.operation)[1])
    synth = synthesizer(ctx.spec)
    page["data"] = [
        synth.value(schema, {k: v for k, v in m.items() if k != "created_at"}, seed=m["id"])
        for m in page["data"]
    ]
    return ctx.json(page)
