"""Cursor pagination as the API documents it: `limit`, `order`, `after`, `before`.

Each operation's limit default and range come from the spec: the parameter schema's
`default`/`minimum`/`maximum` (the `documented-limits` overlay adds the ranges the docs state in
prose, such as "between 1 and 100"), else at least 1. Items sort by `created_at`, ties kept in creation order; `desc` is the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.emulator.store import clone
from conformance.spec import Operation, Spec, schema_properties


@dataclass(frozen=True)
class LimitRange:
    default: int | None
    minimum: int
    maximum: int | None


def limit_range(spec: Spec, operation: Operation) -> LimitRange | None:
    """The `limit` query parameter's default and range, or None when the operation has none."""
    return spec.derived((limit_range, operation.id), lambda: _limit_range(spec, operation))


def _limit_range(spec: Spec, operation: Operation) -> LimitRange | None:
    param = operation.param("limit", "query")
    if param is None:
        return None
    schema = spec.resolve(param.schema) or {}
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    default = schema.get("default")
    return LimitRange(
        default if isinstance(default, int) else None,
        int(minimum) if isinstance(minimum, int | float) else 1,
        int(maximum) if isinstance(maximum, int | float) else None,
    )


def envelope_fields(spec: Spec, operation: Operation) -> frozenset[str]:
    """The properties the operation's 200 list envelope declares (not every list has cursors)."""
    return spec.derived((envelope_fields, operation.id), lambda: _envelope_fields(spec, operation))


def _envelope_fields(spec: Spec, operation: Operation) -> frozenset[str]:
    for status in operation.success_statuses():
        schema = operation.responses[status].content.get("application/json")
        if schema is not None:
            return frozenset(schema_properties(spec.document, schema))
    return frozenset({"object", "data", "first_id", "last_id", "has_more"})


def paginate(
    items: list[dict[str, Any]],
    query: dict[str, Any],
    default_limit: int = 20,
    fields: frozenset[str] | None = None,
) -> dict[str, Any]:
    """One page of `items` (in creation order) as the list envelope."""
    limit = query.get("limit")
    limit = default_limit if limit is None else int(limit)
    order = query.get("order") or "desc"
    ordered = sorted(items, key=lambda item: item.get("created_at") or 0)  # stable: ties keep order
    if order == "desc":
        ordered.reverse()
    after, before = query.get("after"), query.get("before")
    if after:
        position = _index(ordered, after)
        ordered = [] if position is None else ordered[position + 1 :]
    if before:
        position = _index(ordered, before)
        ordered = [] if position is None else ordered[:position]
        has_more = len(ordered) > limit
        page = ordered[-limit:] if has_more else ordered
    else:
        has_more = len(ordered) > limit
        page = ordered[:limit]
    page = clone(page)  # items may be the store's own objects (`store.list(copy=False)`)
    envelope: dict[str, Any] = {
        "object": "list",
        "data": page,
        # an empty page has no first or last id: "" by the letter of the spec (a required string),
        # null as the real API answers (`real_api`, deviation empty-list-null-cursors)
        "first_id": page[0]["id"] if page else "",
        "last_id": page[-1]["id"] if page else "",
        "has_more": has_more,
    }
    if fields is not None:
        envelope = {k: v for k, v in envelope.items() if k in fields or k in ("object", "data")}
    return envelope


def _index(items: list[dict[str, Any]], id: str) -> int | None:
    for position, item in enumerate(items):
        if item.get("id") == id:
            return position
    return None
