"""Safety on a real account: tag what the run creates, clamp generation parameters.

Tagging puts `metadata.conformance_run=<run id>` on every create request whose schema has a `metadata`
object, so a person (or a later clean-up) can tell the run's objects apart. Clamping keeps generations
short on a paid target: token limits are capped and `n`-style counts set to 1, always inside the
bounds the spec declares for the field (createRun's `max_completion_tokens` has `minimum: 256`), so a
clamped request is still a valid one.
"""

from __future__ import annotations

import copy
from typing import Any, TypeGuard

from conformance.exchange import Request
from conformance.spec import Operation, Spec, schema_properties

TAG_KEY = "conformance_run"
METADATA_MAX_KEYS = 16
TOKEN_LIMITS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
TOKEN_CAP = 32
CAP_FIRST = ("max_completion_tokens", "max_output_tokens")  # the limit a clamp adds to a request without one
COUNTS = ("n", "best_of")


def body_properties(spec: Spec, operation: Operation, media_type: str | None) -> dict[str, Any]:
    schema = operation.request_bodies.get(media_type or "application/json")
    if schema is None and operation.request_bodies:
        schema = next(iter(operation.request_bodies.values()))
    return schema_properties(spec.document, schema) if schema else {}


NUMBER_BOUNDS = ("minimum", "maximum")
OBJECT_BOUNDS = ("minProperties", "maxProperties")


def bounds(
    spec: Spec, schema: Any, keys: tuple[str, str] = NUMBER_BOUNDS, depth: int = 0
) -> tuple[float | None, float | None]:
    """The bounds a field declares (`minimum`/`maximum` by default), through `$ref` and
    `anyOf`/`oneOf`/`allOf`."""
    node = spec.resolve(schema)
    if not isinstance(node, dict) or depth > 8:
        return None, None
    low, high = node.get(keys[0]), node.get(keys[1])
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(key) or []:
            b_low, b_high = bounds(spec, branch, keys, depth + 1)
            low = b_low if low is None else low if b_low is None else max(low, b_low)
            high = b_high if high is None else high if b_high is None else min(high, b_high)
    return low, high


def within(spec: Spec, schema: Any, wanted: int, keys: tuple[str, str] = NUMBER_BOUNDS) -> int:
    """`wanted`, moved inside the field's declared bounds."""
    low, high = bounds(spec, schema, keys)
    value = wanted
    if high is not None and value > high:
        value = int(high)
    if low is not None and value < low:
        value = int(low) if float(low).is_integer() else int(low) + 1
    return value


def tag(request: Request, spec: Spec, operation: Operation, run_id: str) -> Request:
    """Add the run tag to `metadata` when the body schema has one (positive and scenario requests only)."""
    if request.mode == "negative" or request.method != "POST" or not isinstance(request.body, dict):
        return request
    if request.media_type not in (None, "application/json"):
        return request
    properties = body_properties(spec, operation, request.media_type)
    if "metadata" not in properties:
        return request
    most = within(spec, properties["metadata"], METADATA_MAX_KEYS, OBJECT_BOUNDS)  # the tag included
    body = dict(request.body)
    metadata = body.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    while metadata and len(metadata) >= most:
        metadata.pop(next(iter(metadata)))
    metadata[TAG_KEY] = run_id
    body["metadata"] = metadata
    request = copy.copy(request)
    request.body = body
    return request


def clamp(request: Request, spec: Spec, operation: Operation) -> Request:
    """Cap token limits and counts (an explicit null token limit too: it means none); add a token cap
    when the schema has one and the request did not set it.

    Every cap stays inside the field's declared bounds. A negative request keeps the value it breaks,
    so the breakage survives.
    """
    if not isinstance(request.body, dict):
        return request
    broken = request.breaks or ""
    properties = body_properties(spec, operation, request.media_type)
    body = dict(request.body)
    for name in TOKEN_LIMITS:
        if name in broken:
            continue
        value = body.get(name)
        if _is_int(value):
            cap = within(spec, properties.get(name), TOKEN_CAP)
            if value > cap:
                body[name] = cap
    if request.mode != "negative" and not any(_is_int(body.get(name)) for name in TOKEN_LIMITS):
        # no limit, or only explicit nulls (no limit either): cap one, a null one first
        nulls = [name for name in (*CAP_FIRST, "max_tokens") if name in body]
        for name in nulls or [name for name in CAP_FIRST if name in properties]:
            body[name] = within(spec, properties.get(name), TOKEN_CAP)
            break
    for name in COUNTS:
        value = body.get(name)
        if name not in broken and _is_int(value):
            cap = within(spec, properties.get(name), 1)
            if value > cap:
                body[name] = cap
    if body == request.body:
        return request
    request = copy.copy(request)
    request.body = body
    return request


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
