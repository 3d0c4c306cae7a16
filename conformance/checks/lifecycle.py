"""Lifecycle oracles: every object a scenario sees is judged against its state machine.

The machines are data (`spec/lifecycles.yaml`). An `Oracle` remembers, per object id, the last
status and timestamps it saw, so a sequence of answers (a create, polls, list pages, stream events)
is judged as a whole:

    oracle = Oracle()
    violations = oracle.observe(exchange)            # every object in the answer
    violations += oracle.judge_cancel(exchange, "completed")

Checks (family "lifecycle"): `lifecycle.state` (a status outside the machine, or a create answer in
a status a new object cannot have), `lifecycle.transition` (a change the machine does not allow),
`lifecycle.terminal` (a terminal object changed status), `lifecycle.fields` (a timestamp or field
set when it must not be, or missing when it must be; a timestamp that moved or predates
`created_at`), `lifecycle.cancel` (a cancel answered wrongly), and `lifecycle.workflow` (a scenario
step did not get the answer its flow needs, or an object never reached a terminal state in time).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from conformance.checks.model import CHECKS, Finding, Violation, check, excerpt
from conformance.exchange import Exchange
from conformance.spec.data import load_table

LIFECYCLE_CHECKS = {
    "lifecycle.state": "A status the object's state machine (spec/lifecycles.yaml) lists; a new object starts "
    "in one of its initial states.",
    "lifecycle.transition": "Every observed status change is allowed by the state machine.",
    "lifecycle.terminal": "A terminal status (completed, cancelled, failed, expired ...) never changes.",
    "lifecycle.fields": "Timestamps and fields agree with the status (completed_at set exactly when completed, "
    "usage null until terminal ...); a timestamp never moves and is not before created_at.",
    "lifecycle.cancel": "Cancel moves an active object to cancelling/cancelled; a cancel in a terminal state "
    "gets the documented error envelope.",
    "lifecycle.workflow": "(scenarios) a multi-step flow gets the answers it needs and reaches a terminal "
    "state within the polling budget.",
    "lifecycle.lost_update": "A read shows the object as last accepted: a just-created object is retrievable "
    "under its id, with the last change made to it.",
    "lifecycle.stale_list": "(model-based) a list shows every live object and no deleted one.",
    "lifecycle.use_after_delete": "A deleted object answers 404 to retrieve and delete.",
    "lifecycle.round_trip": "(model-based) create and modify answers echo the metadata sent.",
}


def _register() -> None:
    """The oracle's checks in the shared catalogue (they judge sequences, so per exchange they are no-ops)."""
    for check_id, description in LIFECYCLE_CHECKS.items():
        if check_id not in CHECKS:
            check(check_id, family="lifecycle", description=description)(lambda ctx, exchange: ())


_register()


@dataclass(frozen=True)
class FieldRule:
    set: frozenset[str] = frozenset()
    unset: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Cancel:
    operation: str
    to: frozenset[str]
    error_statuses: frozenset[int]
    error_type: str | None
    unchanged_ok: bool


@dataclass(frozen=True)
class Machine:
    """One object kind's lifecycle."""

    kind: str
    states: frozenset[str]
    initial: frozenset[str]
    transitions: dict[str, frozenset[str]]
    terminal: frozenset[str]
    fields: dict[str, FieldRule]
    cancel: Cancel | None = None

    def reachable(self, start: str) -> set[str]:
        """Statuses reachable from `start` in one or more transitions."""
        seen: set[str] = set()
        todo = list(self.transitions.get(start, ()))
        while todo:
            state = todo.pop()
            if state not in seen:
                seen.add(state)
                todo.extend(self.transitions.get(state, ()))
        return seen

    def active(self) -> frozenset[str]:
        return self.states - self.terminal


def _machine(kind: str, data: dict[str, Any]) -> Machine:
    cancel = data.get("cancel")
    rule = (cancel or {}).get("in_terminal") or {}
    return Machine(
        kind=kind,
        states=frozenset(data["states"]),
        initial=frozenset(data.get("initial") or data["states"]),
        transitions={k: frozenset(v) for k, v in (data.get("transitions") or {}).items()},
        terminal=frozenset(data.get("terminal") or ()),
        fields={
            name: FieldRule(frozenset(r.get("set") or ()), frozenset(r.get("unset") or ()))
            for name, r in (data.get("fields") or {}).items()
        },
        cancel=Cancel(
            cancel["operation"],
            frozenset(cancel.get("to") or ()),
            frozenset(rule.get("statuses") or ()),
            rule.get("type"),
            bool(rule.get("unchanged_ok")),
        )
        if cancel
        else None,
    )


@cache
def machines() -> dict[str, Machine]:
    """The shipped machines by `object` kind (aliases included)."""
    data = load_table("lifecycles.yaml")
    out: dict[str, Machine] = {}
    for kind, spec in (data.get("machines") or {}).items():
        machine = _machine(kind, spec)
        for name in (kind, *(spec.get("also") or ())):
            out[name] = machine
    return out


def objects_of(exchange: Exchange) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON path, object) for every object with an `id` and a `status` in an answer: the body, list
    items, and the payloads of SSE events."""
    response = exchange.response
    if response.events is not None:
        for index, event in enumerate(response.events):
            data = getattr(event, "data", None)
            if not data or data == "[DONE]":
                continue
            try:
                payload = json.loads(data)
            except ValueError:
                continue
            if _stateful(payload):
                yield f"$events[{index}]", payload
        return
    if not response.is_json or not 200 <= response.status < 300:
        return
    body = response.json()
    if _stateful(body):
        yield "$", body
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        for index, item in enumerate(body["data"]):
            if _stateful(item):
                yield f"$.data[{index}]", item


def _stateful(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("status"), str)
        and isinstance(value.get("object"), str)
    )


@dataclass
class Seen:
    status: str
    stamps: dict[str, Any] = field(default_factory=dict)


class Oracle:
    """Judges the objects of a sequence of exchanges against their machines; one per scenario."""

    def __init__(self, table: dict[str, Machine] | None = None) -> None:
        self.machines = machines() if table is None else table
        self.seen: dict[str, Seen] = {}
        self.history: dict[str, list[str]] = {}  # id -> distinct statuses in the order observed

    def status(self, object_id: str) -> str | None:
        seen = self.seen.get(object_id)
        return seen.status if seen else None

    def observe(self, exchange: Exchange, *, created: bool = False) -> list[Violation]:
        """Judge every object in the answer; `created` marks the answer of the create request."""
        out: list[Violation] = []
        for path, obj in objects_of(exchange):
            out.extend(self.observe_object(obj, exchange, path=path, created=created and path == "$"))
        return out

    def observe_object(
        self, obj: dict[str, Any], exchange: Exchange, *, path: str = "$", created: bool = False
    ) -> list[Violation]:
        machine = self.machines.get(obj.get("object", ""))
        if machine is None:
            return []
        found: list[tuple[str, Finding]] = []
        object_id, status = obj["id"], obj["status"]
        where = f"{path}.status"
        if status not in machine.states:
            message = f"{machine.kind} {object_id} has status {status!r}, which its lifecycle does not have"
            found.append(("lifecycle.state", Finding(message, sorted(machine.states), status, where)))
            return _violations(found, exchange)
        before = self.seen.get(object_id)
        if before is None and created and status not in machine.initial:
            message = f"a new {machine.kind} starts as {status!r}"
            found.append(("lifecycle.state", Finding(message, sorted(machine.initial), status, where)))
        if before is not None and before.status != status:
            if before.status in machine.terminal:
                message = (
                    f"{machine.kind} {object_id} left the terminal status {before.status!r} for {status!r}"
                )
                found.append(("lifecycle.terminal", Finding(message, before.status, status, where)))
            elif status not in machine.reachable(before.status):
                message = f"{machine.kind} {object_id} went from {before.status!r} to {status!r}"
                allowed = sorted(machine.reachable(before.status))
                found.append(("lifecycle.transition", Finding(message, allowed, status, where)))
        found.extend(("lifecycle.fields", f) for f in _fields(machine, obj, before, path))
        self.seen[object_id] = Seen(status, {k: obj.get(k) for k in machine.fields if k.endswith("_at")})
        history = self.history.setdefault(object_id, [])
        if not history or history[-1] != status:
            history.append(status)
        return _violations(found, exchange)

    def judge_cancel(self, exchange: Exchange, kind: str, before: str | None) -> list[Violation]:
        """A cancel's answer, given the status the object had just before (None: unknown)."""
        machine = self.machines.get(kind)
        if machine is None or machine.cancel is None or before is None:
            return self.observe(exchange)
        rule, response = machine.cancel, exchange.response
        body = response.json() if response.is_json else None
        if before in machine.terminal:
            if 200 <= response.status < 300:
                unchanged = isinstance(body, dict) and body.get("status") == before
                if rule.unchanged_ok and unchanged:
                    return self.observe(exchange)
                message = f"cancelling a {before} {kind} succeeded ({response.status})"
                expected = f"an error {'/'.join(map(str, sorted(rule.error_statuses)))}"
                got = f"{response.status} {excerpt(body.get('status') if isinstance(body, dict) else body)}"
                return [_violation("lifecycle.cancel", Finding(message, expected, got), exchange)]
            if rule.error_statuses and response.status not in rule.error_statuses:
                message = f"cancelling a {before} {kind} answered {response.status}"
                expected = "/".join(map(str, sorted(rule.error_statuses)))
                return [_violation("lifecycle.cancel", Finding(message, expected, response.status), exchange)]
            error = body.get("error") if isinstance(body, dict) else None
            got_type = error.get("type") if isinstance(error, dict) else None
            if rule.error_type and got_type != rule.error_type:
                message = f"cancelling a {before} {kind}: the error type is {got_type!r}"
                finding = Finding(message, rule.error_type, got_type, "$.error.type")
                return [_violation("lifecycle.cancel", finding, exchange)]
            return []
        if not 200 <= response.status < 300:
            message = f"cancelling a {before} {kind} failed with {response.status}"
            return [_violation("lifecycle.cancel", Finding(message, "2xx", response.text(160)), exchange)]
        out = self.observe(exchange)
        status = body.get("status") if isinstance(body, dict) else None
        raced = rule.unchanged_ok and status in machine.terminal  # it finished before the cancel arrived
        if rule.to and status not in rule.to and status != before and not raced:
            message = f"cancelling a {before} {kind} answered status {status!r}"
            out.append(
                _violation(
                    "lifecycle.cancel", Finding(message, sorted(rule.to), status, "$.status"), exchange
                )
            )
        return out


def _fields(machine: Machine, obj: dict[str, Any], before: Seen | None, path: str) -> Iterator[Finding]:
    status = obj["status"]
    created_at = obj.get("created_at")
    for name, rule in machine.fields.items():
        if name not in obj:
            continue  # a field this spec's object lacks (older specs): its presence is the schema's to judge
        value = obj[name]
        where = f"{path}.{name}"
        if status in rule.set and value is None:
            yield Finding(f"{name} is not set on a {status} {machine.kind}", f"{name} set", None, where)
        elif status in rule.unset and value is not None:
            yield Finding(f"{name} is set on a {status} {machine.kind}", "null", excerpt(value), where)
        if not name.endswith("_at") or not _number(value):
            continue
        if _number(created_at) and value < created_at:
            yield Finding(f"{name} is earlier than created_at", f">= {created_at}", value, where)
        old = before.stamps.get(name) if before is not None else None
        if _number(old) and old != value:
            yield Finding(f"{name} changed after it was set", old, value, where)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _violation(check_id: str, finding: Finding, exchange: Exchange) -> Violation:
    return CHECKS[check_id].violation(finding, exchange)


def _violations(found: list[tuple[str, Finding]], exchange: Exchange) -> list[Violation]:
    return [_violation(check_id, finding, exchange) for check_id, finding in found]


def workflow(exchange: Exchange, message: str, expected: Any = None, got: Any = None) -> Violation:
    """A `lifecycle.workflow` violation: a scenario step did not get what its flow needs."""
    return _violation("lifecycle.workflow", Finding(message, expected, got), exchange)
