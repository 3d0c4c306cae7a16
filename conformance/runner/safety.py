"""Safety on a real account: tag what the run creates, clamp generation parameters.

Tagging puts `metadata.conformance_run=<run id>` on every create request whose schema has a `metadata`
object, so a person (or a later clean-up) can tell the run's objects apart. Clamping keeps generations
short on a paid target: token limits are capped and `n`-style counts set to 1.
"""

from __future__ import annotations

import copy
from typing import Any

from conformance.exchange import Request
from conformance.spec import Operation, Spec, schema_properties

TAG_KEY = "conformance_run"
METADATA_MAX_KEYS = 16
TOKEN_LIMITS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
TOKEN_CAP = 32
COUNTS = ("n", "best_of")


def body_properties(spec: Spec, operation: Operation, media_type: str | None) -> dict[str, Any]:
    schema = operation.request_bodies.get(media_type or "application/json")
    if schema is None and operation.request_bodies:
        schema = next(iter(operation.request_bodies.values()))
    return schema_properties(spec.document, schema) if schema else {}


def tag(request: Request, spec: Spec, operation: Operation, run_id: str) -> Request:
    """Add the run tag to `metadata` when the body schema has one (positive and scenario requests only)."""
    if request.mode == "negative" or request.method != "POST" or not isinstance(request.body, dict):
        return request
    if request.media_type not in (None, "application/json"):
        return request
    if "metadata" not in body_properties(spec, operation, request.media_type):
        return request
    body = dict(request.body)
    metadata = body.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    while len(metadata) >= METADATA_MAX_KEYS:
        metadata.pop(next(iter(metadata)))
    metadata[TAG_KEY] = run_id
    body["metadata"] = metadata
    request = copy.copy(request)
    request.body = body
    return request


def clamp(request: Request, spec: Spec, operation: Operation) -> Request:
    """Cap token limits and counts; add a token cap when the schema has one and the request did not set it.

    A negative request keeps the value it breaks, so the breakage survives.
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
        if isinstance(value, int) and not isinstance(value, bool) and value > TOKEN_CAP:
            body[name] = TOKEN_CAP
    if request.mode != "negative" and not any(name in body for name in TOKEN_LIMITS):
        for name in ("max_completion_tokens", "max_output_tokens"):
            if name in properties:
                body[name] = TOKEN_CAP
                break
    for name in COUNTS:
        value = body.get(name)
        if name not in broken and isinstance(value, int) and not isinstance(value, bool) and value > 1:
            body[name] = 1
    if body == request.body:
        return request
    request = copy.copy(request)
    request.body = body
    return request
