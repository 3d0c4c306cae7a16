"""`sse.stream`: every event validates, each stream kind keeps its grammar, and deltas add up.

Stream kinds and their grammars live in `spec/streams.yaml`; event schemas come from the spec's
own union schemas (`ResponseStreamEvent`, `AssistantStreamEvent`, ...), keyed by their `type` or
`event` constant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.context import Context
from conformance.checks.http import is_stream
from conformance.checks.model import Finding, check, excerpt
from conformance.checks.validation import errors_of
from conformance.exchange import Exchange, SSEEvent
from conformance.spec.data import load_table
from conformance.sse import is_terminator, parse_events

MAX_FINDINGS = 25  # per stream: one broken emitter should not bury a report


@dataclass(frozen=True)
class StreamKind:
    name: str
    framing: str  # data | event | typed
    chunk: str | None = None
    final: str | None = None
    final_object: str | None = None
    union: str | None = None
    first: Any = None  # list, or {operation id: list}
    last: tuple[str, ...] = ()
    lifecycles: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    sequence_number: bool = False

    def first_for(self, operation_id: str | None) -> list[str] | None:
        if isinstance(self.first, dict):
            return self.first.get(operation_id or "")
        return self.first


def stream_kind(operation_id: str | None) -> StreamKind | None:
    for name, data in (load_table("streams.yaml").get("kinds") or {}).items():
        if operation_id in data.get("operations", ()):
            fields = {k: v for k, v in data.items() if k != "operations"}
            fields["last"] = tuple(fields.get("last") or ())
            return StreamKind(name=name, **fields)
    return None


_unions: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}


def event_schemas(ctx: Context, union_ref: str) -> dict[str, Any]:
    """Event name -> the schema its payload must match, from a union like `ResponseStreamEvent`."""
    key = (id(ctx.spec), union_ref)
    cached = _unions.get(key)
    if cached is None or cached[0] is not ctx.spec:
        out: dict[str, Any] = {}
        _collect(ctx, {"$ref": union_ref}, out, 0)
        cached = _unions[key] = (ctx.spec, out)
    return cached[1]


def _collect(ctx: Context, node: Any, out: dict[str, Any], depth: int) -> None:
    schema = ctx.spec.resolve(node)
    if not isinstance(schema, dict) or depth > 8:
        return
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        for variant in variants:
            _collect(ctx, variant, out, depth + 1)
        return
    props = schema.get("properties") or {}
    if "event" in props and "data" in props:  # Assistants: {event: const, data: schema}
        for name in (ctx.spec.resolve(props["event"]) or {}).get("enum") or ():
            out[name] = props["data"]
    elif "type" in props:  # typed: the whole payload is the variant
        for name in (ctx.spec.resolve(props["type"]) or {}).get("enum") or ():
            out[name] = node


def stream_events(exchange: Exchange) -> list[SSEEvent]:
    response = exchange.response
    if response.events is not None:
        return response.events
    return list(parse_events([response.content]))


@check(
    "sse.stream",
    family="streaming",
    description="A stream ends properly (chat: chunks then [DONE]; Assistants: legal lifecycle order ending "
    "with done; Responses: created first, increasing sequence_number, a terminal event last), each "
    "event validates, and the object reassembled from the deltas validates like the non-streamed one.",
    max_findings=MAX_FINDINGS,
)
def sse_stream(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    if not is_stream(exchange) or not 200 <= exchange.response.status < 300:
        return
    yield from _judge(ctx, exchange)


def _judge(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    response = exchange.response
    if response.stream_error:
        yield Finding(
            f"the stream was cut short: {response.stream_error}",
            expected="a complete stream",
            got=response.stream_error,
        )
    events = stream_events(exchange)
    if not events:
        yield Finding(
            "the stream carried no events", expected="at least one event", got=response.text(120) or "(empty)"
        )
        return
    op = ctx.operation(exchange)
    kind = stream_kind(op.id if op else None)
    if kind is None:
        return
    if kind.framing == "data":
        yield from _data_stream(ctx, exchange, kind, events)
    elif kind.framing == "event":
        yield from _event_stream(ctx, op.id if op else None, kind, events)
    else:
        yield from _typed_stream(ctx, kind, events)


def _at(index: int, path: str = "$") -> str:
    return f"$.events[{index}]" + path[1:]


# A completions chunk reuses the non-streamed `CreateCompletionResponse`, whose `finish_reason` is a
# required string; the real API sends null until a choice's last chunk. The reassembled object is still
# checked for a finish_reason per choice.
_OPEN_FINISH_REASON = re.compile(r"\$\.choices\[\d+\]\.finish_reason")


def _schema_findings(
    ctx: Context, node: Any, payload: Any, index: int, what: str, kind: StreamKind | None = None
) -> Iterator[Finding]:
    if not ctx.config.stream_schema:
        return
    for error in errors_of(ctx.validators.compile(node), payload, limit=5):
        if (
            kind is not None
            and kind.name == "completions"
            and error.instance is None
            and _OPEN_FINISH_REASON.fullmatch(error.path)
        ):
            continue
        yield Finding(
            f"{what}: {error.message}",
            expected=f"schema at {error.schema_path}",
            got=excerpt(error.instance),
            path=_at(index, error.path),
        )


def _json(event: SSEEvent, index: int) -> tuple[Any, Finding | None]:
    try:
        return json.loads(event.data), None
    except ValueError:
        return None, Finding(
            "event data is not JSON", expected="a JSON object", got=event.data[:120], path=_at(index)
        )


# -- chat and completions: data-only chunks, then [DONE] ------------------------------------------


def _data_stream(
    ctx: Context, exchange: Exchange, kind: StreamKind, events: list[SSEEvent]
) -> Iterator[Finding]:
    done = next((i for i, e in enumerate(events) if is_terminator(e)), None)
    if done is None:
        yield Finding(
            "the stream does not end with data: [DONE]",
            expected="data: [DONE]",
            got=events[-1].data[:120],
            path=_at(len(events) - 1),
        )
    elif done != len(events) - 1:
        yield Finding(
            "events follow data: [DONE]",
            expected="nothing after [DONE]",
            got=events[done + 1].data[:120],
            path=_at(done + 1),
        )
    chunks: list[tuple[int, dict[str, Any]]] = []
    for i, event in enumerate(events[:done]):
        payload, problem = _json(event, i)
        if problem:
            yield problem
            continue
        if kind.chunk:
            yield from _schema_findings(ctx, {"$ref": kind.chunk}, payload, i, "chunk", kind)
        if isinstance(payload, dict):
            chunks.append((i, payload))
    if not chunks:
        yield Finding("the stream has no chunks before [DONE]", expected="at least one chunk", got="none")
        return
    first = chunks[0][1]
    for i, chunk in chunks[1:]:
        for key in ("id", "created", "model"):
            if key in first and chunk.get(key) != first[key]:
                yield Finding(
                    f"chunks disagree on {key}",
                    expected=first[key],
                    got=chunk.get(key),
                    path=_at(i, f"$.{key}"),
                )
                break
    yield from _usage_chunk(exchange, chunks)
    final = (
        reassemble_chat([c for _, c in chunks], kind)
        if kind.name == "chat"
        else reassemble_completion([c for _, c in chunks], kind)
    )
    reported = set()
    for position, choice in enumerate(final["choices"]):
        if choice.get("finish_reason") is None:
            reported.add(f"$.choices[{position}].finish_reason")
            yield Finding(
                f"choice {choice['index']} never got a finish_reason", expected="a finish_reason", got=None
            )
    if kind.final:
        for error in errors_of(ctx.validators.compile({"$ref": kind.final}), final, limit=5):
            if error.path in reported:
                continue
            message = f"the object reassembled from the chunks does not validate: {error.message}"
            yield Finding(
                message,
                expected=f"schema at {error.schema_path}",
                got=excerpt(error.instance),
                path="$.reassembled" + error.path[1:],
            )


def _usage_chunk(exchange: Exchange, chunks: list[tuple[int, dict[str, Any]]]) -> Iterator[Finding]:
    """With `include_usage`, one chunk with empty choices carries the usage, after every chunk with
    choices. It need not be the last: the real API may send chunks without choices after it (a
    `moderation` chunk, pydantic-ai's test_openai_moderation_stream.yaml, 2026-07-22; the SDK's
    ChatCompletionChunk carries `moderation`)."""
    body = exchange.request.body if isinstance(exchange.request.body, dict) else {}
    options = body.get("stream_options")
    wants = isinstance(options, dict) and options.get("include_usage") is True
    usage = next(
        ((i, c) for i, c in chunks if isinstance(c.get("usage"), dict) and c.get("choices") == []), None
    )
    if wants and usage is None:
        last_index, last = chunks[-1]
        yield Finding(
            "include_usage asks for a chunk with empty choices and the usage after the last choice",
            expected='{"choices": [], "usage": {...}}',
            got=excerpt({"choices": last.get("choices"), "usage": last.get("usage")}),
            path=_at(last_index),
        )
    if wants and usage is not None:
        later = next(((i, c) for i, c in chunks if i > usage[0] and c.get("choices")), None)
        if later is not None:
            yield Finding(
                "a chunk with choices comes after the include_usage chunk",
                expected=f"no choices after the usage chunk ({_at(usage[0])})",
                got=excerpt(later[1].get("choices")),
                path=_at(later[0], "$.choices"),
            )
    for i, chunk in chunks:
        if chunk.get("usage") is not None and (not wants or usage is None or i != usage[0]):
            yield Finding(
                "only the include_usage chunk carries usage",
                expected=None,
                got=excerpt(chunk["usage"]),
                path=_at(i, "$.usage"),
                severity="warning",
            )
            break


def reassemble_chat(chunks: list[dict[str, Any]], kind: StreamKind | None = None) -> dict[str, Any]:
    """The chat.completion a non-streamed call would have answered, rebuilt from its chunks."""
    choices: dict[int, dict[str, Any]] = {}
    calls: dict[int, dict[int, dict[str, Any]]] = {}
    usage = None
    for chunk in chunks:
        if isinstance(chunk.get("usage"), dict):
            usage = chunk["usage"]
        for part in chunk.get("choices") or ():
            index = part.get("index", 0)
            choice = choices.setdefault(
                index,
                {
                    "index": index,
                    "message": {"role": None, "content": None, "refusal": None},
                    "finish_reason": None,
                    "logprobs": None,
                },
            )
            message, delta = choice["message"], part.get("delta") or {}
            if delta.get("role"):
                message["role"] = delta["role"]
            for key in ("content", "refusal"):
                if isinstance(delta.get(key), str):
                    message[key] = (message[key] or "") + delta[key]
            for call in delta.get("tool_calls") or ():
                slot = calls.setdefault(index, {}).setdefault(
                    call.get("index", 0),
                    {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if call.get("id"):
                    slot["id"] = call["id"]
                if call.get("type"):
                    slot["type"] = call["type"]
                function = call.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
            if part.get("finish_reason"):
                choice["finish_reason"] = part["finish_reason"]
            logprobs = part.get("logprobs")
            if isinstance(logprobs, dict):
                merged = choice["logprobs"] or {"content": None, "refusal": None}
                for key in ("content", "refusal"):
                    if isinstance(logprobs.get(key), list):
                        merged[key] = (merged[key] or []) + logprobs[key]
                choice["logprobs"] = merged
    for index, slots in calls.items():
        choices[index]["message"]["tool_calls"] = [slots[k] for k in sorted(slots)]
    for choice in choices.values():
        choice["message"]["role"] = choice["message"]["role"] or "assistant"
    first = chunks[0] if chunks else {}
    final: dict[str, Any] = {
        key: first[key]
        for key in ("id", "created", "model", "system_fingerprint", "service_tier")
        if key in first
    }
    final["object"] = kind.final_object if kind and kind.final_object else "chat.completion"
    final["choices"] = [choices[k] for k in sorted(choices)]
    if usage is not None:
        final["usage"] = usage
    return final


def reassemble_completion(chunks: list[dict[str, Any]], kind: StreamKind | None = None) -> dict[str, Any]:
    """The text_completion a non-streamed call would have answered, rebuilt from its chunks."""
    choices: dict[int, dict[str, Any]] = {}
    usage = None
    for chunk in chunks:
        if isinstance(chunk.get("usage"), dict):
            usage = chunk["usage"]
        for part in chunk.get("choices") or ():
            index = part.get("index", 0)
            choice = choices.setdefault(
                index, {"index": index, "text": "", "logprobs": None, "finish_reason": None}
            )
            choice["text"] += part.get("text") or ""
            if part.get("finish_reason"):
                choice["finish_reason"] = part["finish_reason"]
    first = chunks[0] if chunks else {}
    final: dict[str, Any] = {
        key: first[key] for key in ("id", "created", "model", "system_fingerprint") if key in first
    }
    final["object"] = kind.final_object if kind and kind.final_object else "text_completion"
    final["choices"] = [choices[k] for k in sorted(choices)]
    if usage is not None:
        final["usage"] = usage
    return final


# -- Assistants: named events, per-object lifecycles, ending with `done` ---------------------------


def _event_stream(
    ctx: Context, operation_id: str | None, kind: StreamKind, events: list[SSEEvent]
) -> Iterator[Finding]:
    schemas = event_schemas(ctx, kind.union) if kind.union else {}
    yield from _ends(kind, [e.event or "" for e in events], kind.first_for(operation_id))
    states: dict[tuple[str, str], str] = {}
    texts: dict[str, dict[int, str]] = {}
    prefixes = sorted(kind.lifecycles, key=len, reverse=True)
    for i, event in enumerate(events):
        name = event.event or ""
        if not name:
            yield Finding(
                "an Assistants event has no `event:` name",
                expected="event: <name>",
                got=event.data[:120],
                path=_at(i),
            )
            continue
        if name == "done":
            if event.data.strip() != "[DONE]":
                yield Finding(
                    "the done event carries data [DONE]", expected="[DONE]", got=event.data[:120], path=_at(i)
                )
            continue
        payload, problem = _json(event, i)
        if problem:
            yield problem
            continue
        if name not in schemas:
            yield Finding(
                f"unknown event {name!r}",
                expected=" | ".join(sorted(schemas)),
                got=name,
                path=_at(i),
                severity="warning",
            )
            continue
        yield from _schema_findings(ctx, schemas[name], payload, i, f"{name} data")
        prefix = next(
            (p for p in prefixes if name.startswith(p + ".") and "." not in name[len(p) + 1 :]), None
        )
        if prefix is None or not isinstance(payload, dict):
            continue
        state, obj = name[len(prefix) + 1 :], str(payload.get("id"))
        previous = states.get((prefix, obj))
        # a resumed run (and its tool step) first shows up mid-lifecycle
        resumes = prefix in ("thread.run", "thread.run.step") and operation_id == "submitToolOuputsToRun"
        if previous is None and state != "created" and not resumes:
            yield Finding(
                f"{prefix} {obj} starts with {name}", expected=f"{prefix}.created", got=name, path=_at(i)
            )
        elif previous is not None and state not in kind.lifecycles[prefix].get(previous, ()):
            yield Finding(
                f"{prefix} {obj} goes from {previous} to {state}",
                expected=" | ".join(kind.lifecycles[prefix].get(previous, ())) or "nothing",
                got=state,
                path=_at(i),
            )
        states[(prefix, obj)] = state
        if name == "thread.message.delta":
            for part in (payload.get("delta") or {}).get("content") or ():
                value = ((part or {}).get("text") or {}).get("value")
                if isinstance(value, str):
                    slot = texts.setdefault(obj, {})
                    slot[part.get("index", 0)] = slot.get(part.get("index", 0), "") + value
        elif name == "thread.message.completed" and obj in texts:
            for index, part in enumerate(payload.get("content") or ()):
                final = ((part or {}).get("text") or {}).get("value")
                if index in texts[obj] and isinstance(final, str) and final != texts[obj][index]:
                    yield Finding(
                        "the message deltas do not add up to the completed message",
                        expected=excerpt(final),
                        got=excerpt(texts[obj][index]),
                        path=_at(i, f"$.content[{index}].text.value"),
                    )


def _ends(kind: StreamKind, names: list[str], first: list[str] | None) -> Iterator[Finding]:
    if first and names[0] not in first:
        yield Finding(
            f"the stream starts with {names[0] or '(unnamed)'}",
            expected=" | ".join(first),
            got=names[0],
            path=_at(0),
        )
    if not kind.last:
        return
    end = next((i for i, n in enumerate(names) if n in kind.last), None)
    if end is None:
        yield Finding(
            "the stream does not end with a terminal event",
            expected=" | ".join(kind.last),
            got=names[-1],
            path=_at(len(names) - 1),
        )
    elif end != len(names) - 1:
        yield Finding(
            f"events follow the terminal {names[end]}",
            expected="nothing after it",
            got=names[end + 1],
            path=_at(end + 1),
        )


# -- Responses, images, audio: typed JSON events --------------------------------------------------


def _typed_stream(ctx: Context, kind: StreamKind, events: list[SSEEvent]) -> Iterator[Finding]:
    schemas = event_schemas(ctx, kind.union) if kind.union else {}
    payloads: list[tuple[int, dict[str, Any]]] = []
    names = []
    for i, event in enumerate(events):
        payload, problem = _json(event, i)
        if problem or not isinstance(payload, dict):
            yield problem or Finding(
                "event data is not a JSON object", expected="an object", got=event.data[:120], path=_at(i)
            )
            names.append(event.event or "")
            continue
        name = payload.get("type")
        names.append(name if isinstance(name, str) else "")
        if event.event and event.event != name:
            yield Finding(
                "the SSE event name differs from the payload type",
                expected=name,
                got=event.event,
                path=_at(i),
            )
        if name not in schemas:
            yield Finding(
                f"unknown event type {name!r}",
                expected="a type of " + (kind.union or "").rsplit("/", 1)[-1],
                got=name,
                path=_at(i, "$.type"),
                severity="warning",
            )
        else:
            yield from _schema_findings(ctx, schemas[name], payload, i, str(name))
        payloads.append((i, payload))
    yield from _ends(kind, names, kind.first_for(None))
    if kind.sequence_number:
        previous = None
        for i, payload in payloads:
            number = payload.get("sequence_number")
            if isinstance(number, int) and previous is not None and number <= previous:
                yield Finding(
                    "sequence_number does not increase",
                    expected=f"> {previous}",
                    got=number,
                    path=_at(i, "$.sequence_number"),
                )
            if isinstance(number, int):
                previous = number
    yield from _deltas_add_up(payloads)
    if kind.name == "responses":
        yield from _responses_terminal(payloads)


DELTA_PAIRS = (  # delta event suffix, done event suffix, field of the done event
    (".output_text.delta", ".output_text.done", "text"),
    (".refusal.delta", ".refusal.done", "refusal"),
    (".function_call_arguments.delta", ".function_call_arguments.done", "arguments"),
    ("transcript.text.delta", "transcript.text.done", "text"),
)


def _deltas_add_up(payloads: list[tuple[int, dict[str, Any]]]) -> Iterator[Finding]:
    acc: dict[tuple[str, Any, Any, Any], str] = {}
    for i, payload in payloads:
        name = str(payload.get("type"))
        key_of = (payload.get("item_id"), payload.get("output_index"), payload.get("content_index"))
        for delta, done, field_name in DELTA_PAIRS:
            if name.endswith(delta) and isinstance(payload.get("delta"), str):
                acc[(delta, *key_of)] = acc.get((delta, *key_of), "") + payload["delta"]
            elif name.endswith(done) and (delta, *key_of) in acc:
                final = payload.get(field_name)
                if isinstance(final, str) and final != acc[(delta, *key_of)]:
                    yield Finding(
                        f"the {delta.strip('.')} events do not add up to {name}",
                        expected=excerpt(final),
                        got=excerpt(acc[(delta, *key_of)]),
                        path=_at(i, f"$.{field_name}"),
                    )


TERMINAL_STATUS = {
    "response.completed": "completed",
    "response.failed": "failed",
    "response.incomplete": "incomplete",
}


def _responses_terminal(payloads: list[tuple[int, dict[str, Any]]]) -> Iterator[Finding]:
    first_id = None
    for i, payload in payloads:
        response = payload.get("response")
        if not isinstance(response, dict):
            continue
        if first_id is None:
            first_id = response.get("id")
        elif response.get("id") != first_id:
            yield Finding(
                "events describe different responses",
                expected=first_id,
                got=response.get("id"),
                path=_at(i, "$.response.id"),
            )
        wanted = TERMINAL_STATUS.get(str(payload.get("type")))
        if wanted and response.get("status") != wanted:
            yield Finding(
                f"{payload['type']} carries a response with status {response.get('status')!r}",
                expected=wanted,
                got=response.get("status"),
                path=_at(i, "$.response.status"),
            )
