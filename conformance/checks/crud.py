"""Read-your-writes: what a target must answer about an object after a create, a modify or a delete.

The one place for the CRUD contract (family "lifecycle"). Both CRUD testers judge through it: the
session's stateful phase (one create, read, list, modify, read, delete, read pass for every creator
the spec has) and the model-based machines of `conformance.scenarios.crud` (random sequences over
the families they describe, with a model of what must be there). Each function judges one answer
and returns its violations; sending, retries and the model stay with the tester.

- `lifecycle.lost_update`      a read of a live object fails, shows another object, or not the last
                               values written
- `lifecycle.round_trip`       a create or modify answer does not echo what was sent
- `lifecycle.use_after_delete` a live object cannot be deleted, or a deleted one can still be read
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from conformance.checks.model import CHECKS, Finding, Violation
from conformance.exchange import Exchange


def _json_object(exchange: Exchange) -> dict[str, Any] | None:
    response = exchange.response
    body = response.json() if response.is_json else None
    return body if isinstance(body, dict) else None


def without(value: Any, keys: Collection[str]) -> Any:
    """A mapping without `keys` (e.g. the run's tag, which the session adds to every metadata)."""
    return {k: v for k, v in value.items() if k not in keys} if isinstance(value, dict) and keys else value


def _violation(check_id: str, exchange: Exchange, finding: Finding) -> Violation:
    return CHECKS[check_id].violation(finding, exchange)


def _fields(
    exchange: Exchange,
    got: Mapping[str, Any],
    want: Mapping[str, Any],
    check_id: str,
    what: str,
    ignore: Collection[str],
    present: bool,
) -> list[Violation]:
    found = []
    for key, value in want.items():
        if not present and key not in got:
            continue
        seen = without(got.get(key), ignore)
        if seen != value:
            finding = Finding(f"{what}: {key} is not the last value written", value, seen, f"$.{key}")
            found.append(_violation(check_id, exchange, finding))
    return found


def read_back(
    exchange: Exchange,
    object_id: str,
    want: Mapping[str, Any] | None = None,
    *,
    what: str,
    ignore: Collection[str] = (),
) -> list[Violation]:
    """A read of a live object answers 200 with that object and the last values written (`want`)."""
    status = exchange.response.status
    if status != 200:
        finding = Finding(f"{what} of a live object answered {status}", 200, status)
        return [_violation("lifecycle.lost_update", exchange, finding)]
    body = _json_object(exchange)
    if body is None:
        return []  # response.schema judges the body itself
    found = body.get("id")
    if found is not None and found != object_id:
        finding = Finding(f"{what} returned another object", object_id, found, "$.id")
        return [_violation("lifecycle.lost_update", exchange, finding)]
    return _fields(exchange, body, want or {}, "lifecycle.lost_update", what, ignore, present=True)


def listed(
    exchange: Exchange,
    item: Mapping[str, Any],
    want: Mapping[str, Any],
    *,
    what: str,
    ignore: Collection[str] = (),
) -> list[Violation]:
    """An item of a list page shows the last values written to that object."""
    return _fields(exchange, item, want, "lifecycle.lost_update", what, ignore, present=True)


def echo(
    exchange: Exchange,
    want: Mapping[str, Any],
    *,
    what: str,
    ignore: Collection[str] = (),
    present: bool = True,
) -> list[Violation]:
    """A create or modify answer shows what was sent. `present=False`: judge only the fields the
    answer has (a chat completion's create answer has no metadata; the stored completion does)."""
    body = _json_object(exchange)
    if body is None:
        return []
    return _fields(exchange, body, want, "lifecycle.round_trip", what, ignore, present)


def deleted(exchange: Exchange, *, what: str) -> list[Violation]:
    """A delete of a live object succeeds."""
    status = exchange.response.status
    if 200 <= status < 300:
        return []
    finding = Finding(f"{what} of a live object answered {status}", 200, status)
    return [_violation("lifecycle.use_after_delete", exchange, finding)]


def gone(exchange: Exchange, *, what: str) -> list[Violation]:
    """A deleted object answers 404 to a read or a second delete."""
    status = exchange.response.status
    if status == 404:
        return []
    finding = Finding(f"{what} of a deleted object answered {status}", 404, status)
    return [_violation("lifecycle.use_after_delete", exchange, finding)]
