"""Object invariants the spec leaves unwritten: delete answers, id prefixes, timestamps, usage, echoes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from conformance.checks.context import Context
from conformance.checks.model import Finding, check, excerpt
from conformance.exchange import Exchange
from conformance.spec import Operation, schema_properties
from conformance.spec.data import load_table

USAGE_SUMS = (
    ("total_tokens", ("prompt_tokens", "completion_tokens")),
    ("total_tokens", ("input_tokens", "output_tokens")),
)


def objects_in(body: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The top-level object and, for lists, each item: (JSON path, object)."""
    if not isinstance(body, dict):
        return
    yield "$", body
    if body.get("object") in ("list", "page") and isinstance(body.get("data"), list):
        for i, item in enumerate(body["data"]):
            if isinstance(item, dict):
                yield f"$.data[{i}]", item


@check(
    "object.invariants",
    family="lifecycle",
    description="Deletes answer {id, object '<kind>.deleted', deleted: true}; ids carry their kind's prefix "
    "(warning); timestamps are plausible Unix seconds; usage totals add up; model and metadata echo back.",
)
def object_invariants(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    response = exchange.response
    if not 200 <= response.status < 300 or not response.is_json:
        return
    body = response.json()
    if not isinstance(body, dict):
        return
    op = ctx.operation(exchange)
    if exchange.request.method == "DELETE" and "deleted" in body:
        yield from _deleted(exchange, op.id if op else None, body, _declared_object(ctx, op, exchange))
    for where, obj in objects_in(body):
        if ctx.config.id_prefixes:
            yield from _id_prefix(obj, where)
        yield from _timestamps(ctx, obj, where)
        yield from _usage(obj.get("usage"), f"{where}.usage")
    yield from _echoes(exchange, body)
    if op is not None and exchange.request.method in ("GET", "POST"):
        yield from _same_id(exchange, op, body)


def _same_id(exchange: Exchange, op: Operation, body: dict[str, Any]) -> Iterator[Finding]:
    """GET or POST on `/things/{thing_id}` answers the thing asked for, not another one."""
    match = re.search(r"\{(\w+_id)\}$", op.path.split("?")[0])
    if not match or body.get("object") == "list" or not isinstance(body.get("id"), str):
        return
    asked = exchange.request.path_params.get(match.group(1))
    if asked is None:
        asked = exchange.request.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    if body["id"] != str(asked):
        yield Finding(
            "the answer is not the object the path names", expected=str(asked), got=body["id"], path="$.id"
        )


def _declared_object(ctx: Context, op: Operation | None, exchange: Exchange) -> bool:
    """Whether the spec pins the `object` of this answer (then response.schema judges it, not us)."""
    spec = op.response_for(exchange.response.status) if op is not None else None
    schema = spec.content.get("application/json") if spec else None
    declared = ctx.spec.resolve(schema_properties(ctx.spec.document, schema).get("object")) or {}
    return bool(declared.get("enum") or "const" in declared)


def _deleted(
    exchange: Exchange, operation_id: str | None, body: dict[str, Any], object_declared: bool
) -> Iterator[Finding]:
    if body.get("deleted") is not True:
        yield Finding(
            "a delete answers deleted: true", expected=True, got=body.get("deleted"), path="$.deleted"
        )
    params = exchange.request.path_params
    target = list(params.values())[-1] if params else exchange.request.path.rstrip("/").rsplit("/", 1)[-1]
    if "id" in body and body["id"] != target:
        yield Finding("a delete answers the id it deleted", expected=target, got=body["id"], path="$.id")
    exceptions = load_table("objects.yaml").get("delete_object_exceptions") or {}
    kind = body.get("object")
    if object_declared:
        return
    if operation_id in exceptions:
        if kind != exceptions[operation_id]:
            yield Finding("unexpected object of a delete answer", exceptions[operation_id], kind, "$.object")
    elif not (isinstance(kind, str) and kind.endswith(".deleted")):
        yield Finding(
            "a delete answers object '<kind>.deleted'", expected="<kind>.deleted", got=kind, path="$.object"
        )


def _id_prefix(obj: dict[str, Any], where: str) -> Iterator[Finding]:
    prefixes = load_table("objects.yaml").get("id_prefixes") or {}
    kind, value = obj.get("object"), obj.get("id")
    prefix = prefixes.get(kind) if isinstance(kind, str) else None
    if prefix and isinstance(value, str) and not value.startswith(prefix):
        yield Finding(
            f"a {kind} id starts with {prefix!r}",
            expected=f"{prefix}…",
            got=value,
            path=f"{where}.id",
            severity="warning",
        )


def _timestamps(ctx: Context, obj: dict[str, Any], where: str) -> Iterator[Finding]:
    data = load_table("objects.yaml")
    earliest = float(data.get("earliest_timestamp", 0))
    latest = time.time() + ctx.config.max_timestamp_skew
    for name in data.get("timestamp_fields") or ():
        value = obj.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if value > 1e12:
            yield Finding(
                f"{name} looks like milliseconds", expected="Unix seconds", got=value, path=f"{where}.{name}"
            )
        elif value and not earliest <= value <= latest:
            yield Finding(
                f"{name} is not a plausible Unix time",
                expected="seconds since 2015",
                got=value,
                path=f"{where}.{name}",
            )


def _usage(usage: Any, where: str) -> Iterator[Finding]:
    if not isinstance(usage, dict):
        return
    for total, parts in USAGE_SUMS:
        values = [usage.get(p) for p in (total, *parts)]
        counts = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(counts) == len(values) and counts[0] != sum(counts[1:]):
            got = f"{total}={values[0]}, " + ", ".join(
                f"{p}={v}" for p, v in zip(parts, values[1:], strict=True)
            )
            yield Finding(
                f"usage.{total} is not the sum of {' + '.join(parts)}",
                sum(counts[1:]),
                got,
                f"{where}.{total}",
            )
    if set(usage) == {"prompt_tokens", "total_tokens"} and usage["prompt_tokens"] != usage["total_tokens"]:
        # embeddings: no completion tokens, so both counts agree
        yield Finding(
            "usage.total_tokens differs from prompt_tokens",
            usage["prompt_tokens"],
            usage["total_tokens"],
            f"{where}.total_tokens",
        )


def _echoes(exchange: Exchange, body: dict[str, Any]) -> Iterator[Finding]:
    request = exchange.request.body
    if exchange.request.method != "POST" or not isinstance(request, dict):
        return
    if "metadata" in request and isinstance(request["metadata"], dict) and "metadata" in body:
        # Metadata values are strings: only those must come back unchanged. A value of another type is
        # outside the spec, and the real API stores it as text (`true` comes back "True":
        # ruby-openai threads_modify.yml and messages_modify.yml, 2023-11-14 to 2024-04-29).
        sent, got = request["metadata"], body["metadata"]
        if isinstance(got, dict) and any(got.get(k) != v for k, v in sent.items() if isinstance(v, str)):
            yield Finding(
                "metadata does not round-trip", expected=excerpt(sent), got=excerpt(got), path="$.metadata"
            )
    model = request.get("model")
    if isinstance(model, str) and isinstance(body.get("model"), str) and not body["model"].startswith(model):
        yield Finding(
            "the model echoed back is not the one requested",
            expected=f"{model}…",
            got=body["model"],
            path="$.model",
            severity="warning",
        )
