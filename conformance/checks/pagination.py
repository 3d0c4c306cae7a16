"""Cursor pagination: each list page on its own (`pagination.page`) and whole walks (`pagination.traversal`).

`check_traversal` takes the pages of one walk, in the order they were fetched, so scenarios can
drive the walk however they like and hand the exchanges over afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from conformance.checks.context import Context
from conformance.checks.model import CHECKS, Finding, Violation, check, excerpt
from conformance.exchange import Exchange
from conformance.spec import Operation, schema_properties

ASCENDING = ("asc", "ascending")
DESCENDING = ("desc", "descending")


def list_body(exchange: Exchange) -> dict[str, Any] | None:
    """The body of a successful list answer, or None when the exchange is not one."""
    response = exchange.response
    if not 200 <= response.status < 300 or not response.is_json:
        return None
    body = response.json()
    return body if isinstance(body, dict) and isinstance(body.get("data"), list) else None


def _asked_limit(op: Operation | None, exchange: Exchange) -> int | None:
    """The `limit` in force, as asked or by the spec's default, 0 included."""
    value = exchange.request.query.get("limit")
    if value is None and op is not None:
        param = op.param("limit", "query")
        value = param.schema.get("default") if param else None
    try:
        limit = int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
    return limit


def requested_limit(op: Operation | None, exchange: Exchange) -> int | None:
    limit = _asked_limit(op, exchange)
    return limit if limit and limit > 0 else None


def requested_order(op: Operation | None, exchange: Exchange) -> str | None:
    """ "asc", "desc" or None when the operation has no `order` (its order is then undocumented)."""
    param = op.param("order", "query") if op is not None else None
    if param is None:
        return None
    value = exchange.request.query.get("order", param.schema.get("default"))
    if value in ASCENDING:
        return "asc"
    if value in DESCENDING:
        return "desc"
    return None


def item_ids(data: list[Any]) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else None for item in data]


def _ordered(values: list[Any], order: str) -> int | None:
    """The index of the first value out of `order`, or None when sorted."""
    for i in range(1, len(values)):
        a, b = values[i - 1], values[i]
        if (
            isinstance(a, bool)
            or isinstance(b, bool)
            or not isinstance(a, int | float)
            or not isinstance(b, int | float)
        ):
            continue
        if (order == "asc" and b < a) or (order == "desc" and b > a):
            return i
    return None


def _items_have_ids(ctx: Context, op: Operation, status: int) -> bool:
    spec = op.response_for(status)
    schema = spec.content.get("application/json") if spec else None
    data = ctx.spec.resolve(schema_properties(ctx.spec.document, schema).get("data")) or {}
    return "id" in schema_properties(ctx.spec.document, data.get("items"))


@check(
    "pagination.page",
    family="pagination",
    description="A list page has object 'list', items with ids, first_id/last_id matching data[0]/data[-1] "
    "(null or empty when the page is), no more items than `limit`, and created_at in the requested `order`.",
)
def pagination_page(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    op = ctx.operation(exchange)
    if op is None or not op.paginated:
        return
    body = list_body(exchange)
    if body is None:
        return
    data = body["data"]
    if body.get("object", "list") != "list":
        yield Finding(
            "a list answer has object 'list'", expected="list", got=body.get("object"), path="$.object"
        )
    ids = item_ids(data)
    if _items_have_ids(ctx, op, exchange.response.status):
        for i, (item, item_id) in enumerate(zip(data, ids, strict=True)):
            if not isinstance(item_id, str) or not item_id:
                yield Finding(
                    "a list item has no string id", expected="an id", got=excerpt(item), path=f"$.data[{i}]"
                )
    for key, expected in (("first_id", ids[0] if ids else None), ("last_id", ids[-1] if ids else None)):
        if key not in body or (body[key] in (None, "") and not data):  # null: the real API; "": the spec
            continue
        if body[key] != expected:
            where = "null on an empty list" if not data else f"data[{0 if key == 'first_id' else -1}].id"
            yield Finding(f"{key} should be {where}", expected=expected, got=body[key], path=f"$.{key}")
    # a page of limit=0 (allowed where the spec's minimum is 0) is empty yet may have more after it
    if body.get("has_more") is True and not data and _asked_limit(op, exchange) != 0:
        yield Finding("has_more is true on an empty page", expected=False, got=True, path="$.has_more")
    limit = requested_limit(op, exchange)
    if limit is not None and len(data) > limit:
        yield Finding(
            f"{len(data)} items exceed limit {limit}", expected=f"<= {limit}", got=len(data), path="$.data"
        )
    order = requested_order(op, exchange)
    if order is not None:
        stamps = [item.get("created_at") if isinstance(item, dict) else None for item in data]
        bad = _ordered(stamps, order)
        if bad is not None:
            yield Finding(
                f"created_at is not in {order} order",
                expected=f"{order} created_at",
                got=f"{stamps[bad - 1]} then {stamps[bad]}",
                path=f"$.data[{bad}].created_at",
            )


def check_traversal(
    pages: Sequence[Exchange],
    *,
    direction: str = "after",
    expected_ids: Sequence[str] | None = None,
    backward: Sequence[Exchange] | None = None,
    order: str | None = None,
) -> list[Violation]:
    """Judge one complete cursor walk.

    `pages` are the answers in fetch order, each request carrying the cursor (`after` or `before`,
    as `direction` says) taken from the page before. The walk must visit every item exactly once,
    keep the list order across pages, set `has_more` false exactly on the last page, and (with
    `expected_ids`, in list order) reach every item the scenario created. `backward` is a `before`
    walk started from an id of this walk: it must give back exactly the items in front of that id,
    in the same order. `order` ("asc"/"desc") defaults to the `order` the first request sent;
    without either, the order across pages is not judged.
    """
    rule = CHECKS["pagination.traversal"]
    out: list[Violation] = []
    bodies = []
    for page in pages:
        body = list_body(page)
        if body is None:
            out.append(
                rule.violation(
                    Finding("a page of the walk failed", "a 2xx list", page.response.text(120)), page
                )
            )
            return out
        bodies.append(body)
    if not pages:
        return out
    cursor_of = (lambda ids: ids[-1]) if direction == "after" else (lambda ids: ids[0])
    seen: dict[Any, int] = {}
    for k, (page, body) in enumerate(zip(pages, bodies, strict=True)):
        ids = item_ids(body["data"])
        last = k == len(pages) - 1
        if body.get("has_more") is not (not last):
            why = "false on the last page" if last else "true on every page but the last"
            out.append(
                rule.violation(
                    Finding(f"has_more should be {why}", not last, body.get("has_more"), "$.has_more"), page
                )
            )
        if k and last and not ids and bodies[k - 1].get("has_more") is True:
            out.append(
                rule.violation(
                    Finding(
                        "has_more was true but the next page is empty: it should be false on the last page",
                        False,
                        True,
                        "$.has_more",
                    ),
                    pages[k - 1],
                )
            )
        if k and bodies[k - 1]["data"]:
            wanted = cursor_of(item_ids(bodies[k - 1]["data"]))
            sent = page.request.query.get(direction)
            if sent != wanted:
                message = f"page {k + 1} was not fetched with {direction}= the previous page's edge id"
                out.append(rule.violation(Finding(message, wanted, sent), page))
        for i, item_id in enumerate(ids):
            if item_id in seen:
                message = f"item {item_id} is visited twice (pages {seen[item_id] + 1} and {k + 1})"
                out.append(
                    rule.violation(Finding(message, "each item once", item_id, f"$.data[{i}].id"), page)
                )
            else:
                seen[item_id] = k
    walk = walk_ids(bodies, direction)
    asked = order or pages[0].request.query.get("order")
    op_order = "asc" if asked in ASCENDING else "desc" if asked in DESCENDING else None
    if op_order:
        stamps = [
            item.get("created_at")
            for body in _list_order(bodies, direction)
            for item in body["data"]
            if isinstance(item, dict)
        ]
        bad = _ordered(stamps, op_order)
        if bad is not None:
            message = f"the walk breaks {op_order} created_at order across pages"
            out.append(
                rule.violation(Finding(message, op_order, f"{stamps[bad - 1]} then {stamps[bad]}"), pages[-1])
            )
    if expected_ids is not None:
        missing = [i for i in expected_ids if i not in seen]
        if missing:
            message = f"the walk never reached {len(missing)} of {len(expected_ids)} items"
            out.append(rule.violation(Finding(message, "every item", excerpt(missing)), pages[-1]))
        else:
            order_seen = [i for i in walk if i in set(expected_ids)]
            if order_seen != list(expected_ids):
                message = "the walk visits the items out of list order"
                out.append(
                    rule.violation(
                        Finding(message, excerpt(list(expected_ids)), excerpt(order_seen)), pages[-1]
                    )
                )
    if backward:
        out.extend(_check_backward(walk, backward, direction))
    return out


def walk_ids(bodies: Sequence[dict[str, Any]], direction: str = "after") -> list[Any]:
    """The ids of a walk, in list order (a `before` walk fetches pages back to front)."""
    return [i for body in _list_order(bodies, direction) for i in item_ids(body["data"])]


def _list_order(bodies: Sequence[dict[str, Any]], direction: str) -> list[dict[str, Any]]:
    return list(bodies) if direction == "after" else list(reversed(bodies))


def _check_backward(forward: list[Any], backward: Sequence[Exchange], direction: str) -> list[Violation]:
    rule = CHECKS["pagination.traversal"]
    start = backward[0].request.query.get("before")
    inner = check_traversal(backward, direction="before")
    if inner or direction != "after":
        return inner
    if start not in forward:
        return [
            rule.violation(
                Finding("the before walk did not start from an id of the after walk", None, start),
                backward[0],
            )
        ]
    expected = forward[: forward.index(start)]
    got = walk_ids([list_body(page) for page in backward], "before")  # type: ignore[misc]
    if got != expected:
        message = f"walking before={start} does not give back the {len(expected)} items the after walk saw in front of it"
        return [rule.violation(Finding(message, excerpt(expected), excerpt(got)), backward[-1])]
    return []


@check(
    "pagination.traversal",
    family="pagination",
    description="(scenarios, via check_traversal) walking `after` visits every item once in order, has_more is "
    "false exactly on the last page, and `before` walks back symmetrically.",
)
def pagination_traversal(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    return iter(())  # a property of several exchanges: see check_traversal
