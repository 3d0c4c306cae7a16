"""The emulator answers like the real API: the known deviations of `spec/deviations.yaml` are applied
to its answers, so a client tested against it meets production's shapes.

The table is the one place that says where the real API differs from its spec; this module reads it
(through the spec layer) and rewrites each JSON answer and each event of a stream accordingly:

  null      a field the entry names, declared by the object's schema but absent or "" (not set),
            is sent as null (a batch's timestamps of states not reached, a vector store's name)
  omitted   a field the entry names is left out (listFiles' cursors)
  constant  a field the entry names gets the entry's first value (`vector_store.file_batch`)
  type      the same, for an entry that lists the values the API sends (a new fine-tuning job's
            `"error": {}`)

Only entries that describe today's API are applied: those with `recorded_before` describe older
recordings. A `type` entry without values and a `limit` entry are a handler's behaviour (`follows`:
base64 embeddings).
`Settings.spec_literal` (`--spec-literal`) turns all of it off: the emulator answers by the letter
of the spec, which `--strict-spec` judges clean.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any

from conformance.exchange import SSEEvent
from conformance.spec import Operation, Spec, schema_properties
from conformance.spec.deviations import Deviation, table
from conformance.sse import SSEParser

REWRITTEN = ("null", "omitted", "constant", "type")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
Visit = Callable[[str, dict[str, Any], dict[str, Any]], None]


def follows(spec_literal: bool, deviation_id: str) -> bool:
    """Whether a handler does what the real API does for this table entry (KeyError: no such entry)."""
    if not any(d.id == deviation_id for d in table()):
        raise KeyError(f"spec/deviations.yaml has no deviation {deviation_id!r}")
    return not spec_literal


def entries(operation_id: str, check: str) -> list[Deviation]:
    """The entries the emulator applies to an operation's answers that `check` judges."""
    return [
        d for d in table() if d.current and d.kind in REWRITTEN and d.judged_by(check) and d.on(operation_id)
    ]


def shape_body(spec: Spec, operation: Operation, status: int, request: Any, body: Any) -> bool:
    """Rewrite a JSON answer in place as the real API sends it; True when anything changed."""
    applied = [d for d in entries(operation.id, "response.schema") if d.when_holds(request, body)]
    declared = operation.response_for(status)
    schema = declared.content.get("application/json") if declared is not None else None
    if not applied or schema is None:
        return False
    return _apply(spec, applied, schema, body, "$")


async def shape_stream(
    spec: Spec, operation: Operation, request: Any, chunks: AsyncIterable[Any]
) -> AsyncIterator[bytes]:
    """An event stream with each event's data rewritten as the real API sends it."""
    declared = operation.response_for(200)
    schema = declared.content.get("text/event-stream") if declared is not None else None
    applied = [d for d in entries(operation.id, "sse.stream") if d.when_holds(request, None)]
    parser = SSEParser()
    async for chunk in chunks:
        raw = chunk if isinstance(chunk, bytes) else str(chunk).encode()
        if not applied or schema is None:
            yield raw
            continue
        for event in parser.feed(raw):
            yield _shape_event(spec, applied, schema, event)


def _shape_event(spec: Spec, applied: list[Deviation], schema: Any, event: SSEEvent) -> bytes:
    try:
        data = json.loads(event.data)
    except ValueError:
        return event.encode()  # [DONE] and other non-JSON data pass unchanged
    if not _apply(spec, applied, schema, data, "$.events[*]"):
        return event.encode()
    return SSEEvent(json.dumps(data, separators=(",", ":")), event.event, event.id, event.retry).encode()


def _apply(spec: Spec, applied: list[Deviation], schema: Any, body: Any, root: str) -> bool:
    changed = False

    def visit(path: str, value: dict[str, Any], properties: dict[str, Any]) -> None:
        nonlocal changed
        for deviation in applied:
            for name in list(properties) if deviation.kind == "null" else list(value):
                if not deviation.at(_child(path, name)):
                    continue
                if deviation.kind == "null" and (name not in value or value[name] == ""):
                    value[name] = None
                elif deviation.kind == "omitted":
                    del value[name]
                elif deviation.kind in ("constant", "type") and deviation.values:
                    wanted = json.loads(deviation.values[0])
                    if value.get(name) != wanted:
                        value[name] = wanted
                else:
                    continue
                changed = True

    _walk(spec, schema, body, root, visit, 0)
    return changed


def _walk(spec: Spec, schema: Any, value: Any, path: str, visit: Visit, depth: int) -> None:
    """Visit every object of `value` with its JSON path (indices as `[*]`) and its declared properties,
    top down, so the schema of an object is chosen before its fields change."""
    node = _branch(spec, schema, value)
    if not isinstance(node, dict) or depth > 24:
        return
    if isinstance(value, list):
        items = node.get("items")
        for item in value if items is not None else ():
            _walk(spec, items, item, path + "[*]", visit, depth + 1)
        return
    if not isinstance(value, dict):
        return
    properties = {name: sub for name, sub in schema_properties(spec.document, node).items()}
    visit(path, value, properties)
    for name, sub in properties.items():
        if isinstance(value.get(name), dict | list):
            _walk(spec, sub, value[name], _child(path, name), visit, depth + 1)


def _branch(spec: Spec, schema: Any, value: Any) -> Any:
    """The schema that describes `value`: a `oneOf`/`anyOf` branch it validates against (else the first
    branch of its JSON type), through `$ref`s."""
    node = spec.resolve(schema)
    for _ in range(8):
        branches = node.get("oneOf") or node.get("anyOf") if isinstance(node, dict) else None
        if not branches or node.get("properties"):
            return node
        fits = [b for b in branches if spec.validators.is_valid(b, value)]
        kind = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else None
        typed = [b for b in branches if (spec.resolve(b) or {}).get("type") == kind]
        chosen = (fits or typed or [None])[0]
        if chosen is None:
            return None
        node = spec.resolve(chosen)
    return node


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if _NAME.fullmatch(name) else f"{path}[{json.dumps(name)}]"
