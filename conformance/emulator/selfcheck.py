"""The emulator judging itself: does a response validate against the schema the spec declares
for that operation and status? It judges the handler's answer, before `real_api` gives it the real
API's known deviations.

Documented tolerances, each for a defect of the spec itself:

* list envelopes declare `first_id`/`last_id` as required strings, but the real API returns null
  for them on an empty list;
* `CreateFileRequest.purpose` accepts `evals`, which `OpenAIFile.purpose` does not list; the file
  object echoes the purpose it was created with, as the real API does;
* a body-level `oneOf` whose branches overlap (createTranscription: the plain `{text}` branch also
  matches every verbose and diarized answer) passes when the body fits more than one branch.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from conformance.spec import Operation, Validators, schema_properties
from conformance.sse import SSEParser


def check_response(
    validators: Validators, operation: Operation, status: int, media_type: str | None, content: bytes
) -> list[str]:
    """Problems with one response; empty when it conforms."""
    declared = operation.response_for(status)
    where = f"{operation.id} {status}"
    if declared is None:
        return [f"{where}: status not declared by the spec"]
    if media_type is None or not declared.content:
        return []
    if media_type not in declared.content:
        if media_type == "application/json":
            return [f"{where}: media type {media_type} not declared ({', '.join(declared.content)})"]
        return []  # an SSE or binary body where the spec names only JSON is judged elsewhere
    schema = declared.content[media_type]
    if media_type != "application/json" or not schema:
        return []
    try:
        body = json.loads(content)
    except ValueError:
        return [f"{where}: body is not JSON"]
    body = _tolerate_empty_list(body)
    if _overlapping_branches(validators, schema, body):
        return []
    accepted = _accepted_purposes(validators)
    return [
        f"{where}: {'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message[:300]}"
        for e in validators.compile(schema).iter_errors(body)
        if not _echoed_purpose(e, accepted)
    ]


def _overlapping_branches(validators: Validators, schema: Any, body: Any) -> bool:
    node = validators.spec.resolve(schema)
    branches = node.get("oneOf") if isinstance(node, dict) else None
    if not branches or not isinstance(body, dict):
        return False
    return sum(validators.compile(branch).is_valid(body) for branch in branches) > 1


def _accepted_purposes(validators: Validators) -> frozenset[str]:
    spec = validators.spec
    try:
        request = spec.pointer("#/components/schemas/CreateFileRequest")
    except KeyError:
        return frozenset()
    purpose = spec.resolve(schema_properties(spec.document, request).get("purpose")) or {}
    return frozenset(purpose.get("enum") or ())


def _echoed_purpose(error: Any, accepted: frozenset[str]) -> bool:
    path = list(error.instance_path)
    return (
        bool(path)
        and path[-1] == "purpose"
        and type(error.kind).__name__ == "Enum"
        and error.instance in accepted
    )


def _tolerate_empty_list(body: Any) -> Any:
    if (
        isinstance(body, dict)
        and body.get("object") == "list"
        and body.get("data") == []
        and any(k in body and body[k] is None for k in ("first_id", "last_id"))
    ):
        return {k: ("" if k in ("first_id", "last_id") and v is None else v) for k, v in body.items()}
    return body


# Operations whose `stream: true` answer is the Assistants event stream.
ASSISTANT_STREAMS = frozenset({"createRun", "createThreadAndRun", "submitToolOuputsToRun"})


async def checked_stream(
    validators: Validators, chunks: AsyncIterable[Any], problems: list[str]
) -> AsyncIterator[Any]:
    """Pass an Assistants SSE body through unchanged, judging each event on the way."""
    parser = SSEParser()
    async for chunk in chunks:
        yield chunk
        for event in parser.feed(chunk if isinstance(chunk, bytes) else str(chunk).encode()):
            problems.extend(check_event(validators, event.event, event.data))


def check_event(validators: Validators, event: str | None, data: str) -> list[str]:
    """Problems with one Assistants stream event, judged against the spec's `AssistantStreamEvent`."""
    try:
        schema = validators.spec.pointer("#/components/schemas/AssistantStreamEvent")
    except KeyError:
        return []
    try:
        value = data if data == "[DONE]" else json.loads(data)
    except ValueError:
        return [f"event {event}: data is not JSON"]
    return [
        f"event {event}: {'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message[:300]}"
        for e in validators.compile(schema).iter_errors({"event": event, "data": value})
    ][:1]
