"""Spec drift: what changed between two versions of a spec, and what each change breaks.

Both sides go through `conformance.spec.load`, so they are normalised alike (a 3.0 document and
its 3.1 rewrite do not differ). Operations are matched by method and path (path parameter names
ignored); schemas are compared structurally, `$ref`s resolved, with cycle protection. A change
inside a named schema is reported once, under the schema's name, with every operation it reaches.

Breaking follows the client's side of the wire: a request change breaks when a request that was
valid may now be refused (new required fields, narrowed enums or types, tightened bounds, removed
fields or parameters); a response change breaks when an old client may now read something it did
not expect (removed or renamed fields, fields no longer required, widened enums, changed types).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.spec import Operation, Spec

REQUEST = "request"
RESPONSE = "response"

# kind -> (breaking, one line on what it means). The single table of every change `diff` reports.
KINDS: dict[str, tuple[bool, str]] = {
    "operation-removed": (True, "an operation is gone"),
    "operation-added": (False, "a new operation"),
    "operation-deprecated": (False, "an operation is now deprecated"),
    "operation-id-changed": (False, "same method and path, new operationId (baselines keyed by id move)"),
    "parameter-removed": (True, "a parameter clients send is gone"),
    "parameter-added-required": (True, "a new required parameter"),
    "parameter-added": (False, "a new optional parameter"),
    "parameter-became-required": (True, "an optional parameter is now required"),
    "parameter-became-optional": (False, "a required parameter is now optional"),
    "request-body-required": (True, "the request body is now required"),
    "request-body-optional": (False, "the request body is now optional"),
    "request-media-type-removed": (True, "a request media type is no longer accepted"),
    "request-media-type-added": (False, "a new request media type is accepted"),
    "request-field-removed": (True, "a request field is gone"),
    "request-field-added-required": (True, "a new required request field"),
    "request-field-added": (False, "a new optional request field"),
    "request-field-became-required": (True, "an optional request field is now required"),
    "request-field-became-optional": (False, "a required request field is now optional"),
    "request-type-narrowed": (True, "a request value accepts fewer types"),
    "request-type-widened": (False, "a request value accepts more types"),
    "request-enum-narrowed": (True, "a request value accepts fewer enum values"),
    "request-enum-widened": (False, "a request value accepts more enum values"),
    "request-bounds-tightened": (True, "a request value has tighter bounds, length, pattern or size"),
    "request-bounds-loosened": (False, "a request value has looser bounds"),
    "request-variant-removed": (True, "a request union lost a variant"),
    "request-variant-added": (False, "a request union gained a variant"),
    "request-closed": (True, "a request object no longer accepts unknown fields"),
    "request-opened": (False, "a request object now accepts unknown fields"),
    "response-success-removed": (True, "a success status is no longer answered"),
    "response-status-removed": (False, "a non-success status is no longer declared"),
    "response-status-added": (False, "a newly declared status"),
    "response-media-type-removed": (True, "a response media type is gone"),
    "response-media-type-added": (False, "a new response media type"),
    "response-header-removed": (True, "a declared response header is gone"),
    "response-header-added": (False, "a newly declared response header"),
    "response-field-removed": (True, "a response field is gone"),
    "response-field-renamed": (True, "a response field appears under a new name"),
    "response-field-became-optional": (True, "a response field is no longer required"),
    "response-field-became-required": (False, "a response field is now required"),
    "response-field-added": (False, "a new response field"),
    "response-type-changed": (True, "a response value may have a type clients did not expect"),
    "response-type-narrowed": (False, "a response value has fewer types"),
    "response-enum-widened": (True, "a response value may take enum values clients do not know"),
    "response-enum-narrowed": (False, "a response value takes fewer enum values"),
    "response-bounds-widened": (True, "a response value has looser bounds"),
    "response-bounds-narrowed": (False, "a response value has tighter bounds"),
    "response-variant-added": (True, "a response union gained a variant clients do not know"),
    "response-variant-removed": (False, "a response union lost a variant"),
    "format-changed": (False, "a value's `format` changed"),
}

# Checks (ids from `conformance.checks`) that a change can move, by where it happens.
REQUEST_BREAKING_CHECKS = ("positive.accepted", "negative.rejected")
REQUEST_RELAXING_CHECKS = ("negative.rejected",)  # a request the old spec called invalid may now be valid
RESPONSE_CHECKS = ("response.schema",)
ALL_OPERATION_CHECKS = (
    "response.schema",
    "response.status",
    "response.content_type",
    "response.headers",
    "error.envelope",
    "positive.accepted",
    "positive.null_accepted",
    "negative.rejected",
    "server.error",
)
_PAGINATION_FIELDS = frozenset({"data", "has_more", "first_id", "last_id"})
_INVARIANT_FIELDS = frozenset({"object", "id", "deleted", "created", "created_at", "usage", "model"})
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_MAX_SHOWN = 8


@dataclass
class Change:
    """One difference between two specs, with the operations and checks it affects."""

    kind: str
    where: str  # a schema name and field path, or an operation and what in it
    message: str
    operations: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return KINDS[self.kind][0]

    @property
    def area(self) -> str:
        return self.kind.split("-", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "breaking": self.breaking,
            "area": self.area,
            "where": self.where,
            "message": self.message,
            "operations": self.operations,
            "checks": self.checks,
        }


@dataclass
class SpecDiff:
    old: dict[str, Any]
    new: dict[str, Any]
    added: list[Operation]
    removed: list[Operation]
    changed: list[str]  # ids (in the new spec) of matched operations with at least one change
    changes: list[Change]

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    @property
    def non_breaking(self) -> list[Change]:
        return [c for c in self.changes if not c.breaking]

    def to_dict(self) -> dict[str, Any]:
        def op(o: Operation) -> dict[str, str]:
            return {"id": o.id, "method": o.method, "path": o.path}

        return {
            "old": self.old,
            "new": self.new,
            "summary": {
                "operations_added": len(self.added),
                "operations_removed": len(self.removed),
                "operations_changed": len(self.changed),
                "breaking": len(self.breaking),
                "non_breaking": len(self.non_breaking),
            },
            "operations": {
                "added": [op(o) for o in self.added],
                "removed": [op(o) for o in self.removed],
                "changed": self.changed,
            },
            "changes": [c.to_dict() for c in self.changes],
        }


def diff_specs(old: Spec, new: Spec, operations: Iterable[str] | None = None) -> SpecDiff:
    """Compare two loaded specs. `operations` (ids in either spec) limits the comparison."""
    wanted = set(operations) if operations is not None else None
    old_ops = {_op_key(o): o for o in old.operations}
    new_ops = {_op_key(o): o for o in new.operations}
    if wanted is not None:
        old_ops = {k: o for k, o in old_ops.items() if o.id in wanted or _key_id(new_ops, k) in wanted}
        new_ops = {k: o for k, o in new_ops.items() if o.id in wanted or _key_id(old_ops, k) in wanted}
    schemas = _SchemaDiff(old.document, new.document)
    found: dict[tuple[str, str, str], Change] = {}
    changed: list[str] = []

    def record(kind: str, where: str, message: str, op: Operation, checks: Iterable[str]) -> None:
        change = found.setdefault((kind, where, message), Change(kind, where, message))
        if op.id not in change.operations:
            change.operations.append(op.id)
        change.checks.extend(c for c in checks if c not in change.checks)

    removed = [o for k, o in old_ops.items() if k not in new_ops]
    added = [o for k, o in new_ops.items() if k not in old_ops]
    for op in removed:
        record(
            "operation-removed", _label(op), f"{op.method} {op.path} ({op.id}) removed", op, _op_checks(op)
        )
    for op in added:
        record("operation-added", _label(op), f"{op.method} {op.path} ({op.id}) added", op, ())
    for key, new_op in new_ops.items():
        old_op = old_ops.get(key)
        if old_op is None:
            continue
        before = len(found), sum(len(c.operations) for c in found.values())
        for kind, where, message, checks in _diff_operation(schemas, old_op, new_op):
            record(kind, where, message, new_op, checks)
        if (len(found), sum(len(c.operations) for c in found.values())) != before:
            changed.append(new_op.id)
    changes = sorted(found.values(), key=lambda c: (not c.breaking, c.area, c.where, c.kind, c.message))
    return SpecDiff(
        old.describe() | _counts(old), new.describe() | _counts(new), added, removed, changed, changes
    )


def _counts(spec: Spec) -> dict[str, Any]:
    return {"operations": len(spec.operations)}


def _op_key(op: Operation) -> tuple[str, str]:
    return op.method, re.sub(r"\{[^}/]*\}", "{}", op.path.rstrip("/") or "/")


def _key_id(ops: dict[tuple[str, str], Operation], key: tuple[str, str]) -> str | None:
    op = ops.get(key)
    return op.id if op else None


def _label(op: Operation) -> str:
    return f"{op.method} {op.path}"


def _op_checks(op: Operation) -> list[str]:
    checks = list(ALL_OPERATION_CHECKS)
    if op.paginated:
        checks += ["pagination.page", "pagination.traversal"]
    if op.streams:
        checks.append("sse.stream")
    return checks


_Found = tuple[str, str, str, tuple[str, ...]]  # kind, where, message, checks


def _diff_operation(schemas: _SchemaDiff, old: Operation, new: Operation) -> list[_Found]:
    out: list[_Found] = []
    label = _label(new)
    if old.id != new.id:
        out.append(("operation-id-changed", label, f"operationId {old.id} -> {new.id}", ()))
    if new.deprecated and not old.deprecated:
        out.append(("operation-deprecated", label, f"{new.id} is deprecated", ()))
    out += _diff_parameters(schemas, old, new)
    out += _diff_request_body(schemas, old, new)
    out += _diff_responses(schemas, old, new)
    return out


def _param_key(op: Operation, location: str, name: str) -> tuple[str, str] | None:
    if location == "path":  # clients fill path parameters by position, not by name
        names = re.findall(r"\{([^}/]*)\}", op.path)
        return ("path", str(names.index(name))) if name in names else None  # None: not in the template
    return location, name.lower() if location == "header" else name


def _diff_parameters(schemas: _SchemaDiff, old: Operation, new: Operation) -> list[_Found]:
    out: list[_Found] = []
    olds = {k: p for p in old.parameters if (k := _param_key(old, p.location, p.name)) is not None}
    news = {k: p for p in new.parameters if (k := _param_key(new, p.location, p.name)) is not None}
    for key, p in olds.items():
        if key not in news and p.location != "path":  # matched operations have the same path slots
            where = f"{_label(new)} {p.location} parameter {p.name}"
            out.append(
                (
                    "parameter-removed",
                    where,
                    f"{p.location} parameter {p.name} removed",
                    REQUEST_BREAKING_CHECKS,
                )
            )
    for key, p in news.items():
        where = f"{_label(new)} {p.location} parameter {p.name}"
        before = olds.get(key)
        if before is None and p.location == "path":
            continue
        if before is None:
            kind = "parameter-added-required" if p.required else "parameter-added"
            checks = REQUEST_BREAKING_CHECKS if p.required else ()
            out.append(
                (
                    kind,
                    where,
                    f"{'required' if p.required else 'optional'} {p.location} parameter {p.name} added",
                    checks,
                )
            )
            continue
        if p.required and not before.required:
            out.append(
                ("parameter-became-required", where, f"{p.name} is now required", REQUEST_BREAKING_CHECKS)
            )
        elif before.required and not p.required:
            out.append(
                ("parameter-became-optional", where, f"{p.name} is now optional", REQUEST_RELAXING_CHECKS)
            )
        out += _with_checks(schemas.compare(before.schema, p.schema, REQUEST, where), new)
    return out


def _diff_request_body(schemas: _SchemaDiff, old: Operation, new: Operation) -> list[_Found]:
    out: list[_Found] = []
    where = f"{_label(new)} request body"
    if new.request_bodies and new.body_required and not (old.body_required or not old.request_bodies):
        out.append(
            ("request-body-required", where, "the request body is now required", REQUEST_BREAKING_CHECKS)
        )
    if old.body_required and old.request_bodies and new.request_bodies and not new.body_required:
        out.append(
            ("request-body-optional", where, "the request body is now optional", REQUEST_RELAXING_CHECKS)
        )
    for media, schema in old.request_bodies.items():
        if media not in new.request_bodies:
            out.append(
                ("request-media-type-removed", where, f"{media} no longer accepted", REQUEST_BREAKING_CHECKS)
            )
            continue
        inner = f"{where} ({media})"
        out += _with_checks(schemas.compare(schema, new.request_bodies[media], REQUEST, inner), new)
    for media in new.request_bodies:
        if media not in old.request_bodies:
            out.append(("request-media-type-added", where, f"{media} now accepted", ()))
    return out


def _diff_responses(schemas: _SchemaDiff, old: Operation, new: Operation) -> list[_Found]:
    out: list[_Found] = []
    olds = {s: r for s, r in old.responses.items() if r.overlay is None}
    news = {s: r for s, r in new.responses.items() if r.overlay is None}
    for status, response in olds.items():
        where = f"{_label(new)} response {status}"
        if status not in news:
            success = status.startswith("2")
            kind = "response-success-removed" if success else "response-status-removed"
            out.append((kind, where, f"status {status} no longer declared", ("response.status",)))
            continue
        after = news[status]
        old_headers = {h.lower(): h for h in response.headers}
        new_headers = {h.lower(): h for h in after.headers}
        for header in sorted(set(old_headers) ^ set(new_headers)):
            kind = "response-header-removed" if header in old_headers else "response-header-added"
            verb = "no longer declared" if header in old_headers else "now declared"
            out.append((kind, where, f"header {header} {verb}", ("response.headers",)))
        for media, schema in response.content.items():
            if media not in after.content:
                out.append(
                    (
                        "response-media-type-removed",
                        where,
                        f"{media} no longer answered",
                        ("response.content_type",),
                    )
                )
                continue
            if schema is None or after.content[media] is None:
                continue
            found = schemas.compare(schema, after.content[media], RESPONSE, f"{where} ({media})")
            out += _with_checks(found, new, status, media)
        for media in after.content:
            if media not in response.content:
                out.append(
                    (
                        "response-media-type-added",
                        where,
                        f"{media} may now be answered",
                        ("response.content_type",),
                    )
                )
    for status in news:
        if status not in olds:
            where = f"{_label(new)} response {status}"
            out.append(
                ("response-status-added", where, f"status {status} now declared", ("response.status",))
            )
    return out


def _with_checks(found: list[_Raw], op: Operation, status: str = "", media: str = "") -> list[_Found]:
    """Attach to each schema change the checks it moves, which depend on the operation it reaches."""
    out = []
    for raw in found:
        kind, where, message, leaf = raw
        if not status:  # a parameter or the request body
            checks: tuple[str, ...] = REQUEST_BREAKING_CHECKS if KINDS[kind][0] else REQUEST_RELAXING_CHECKS
        else:
            extra = []
            if not status.startswith("2"):
                extra.append("error.envelope")
            if op.paginated and leaf in _PAGINATION_FIELDS:
                extra += ["pagination.page", "pagination.traversal"]
            if media == "text/event-stream" or (op.streams and status.startswith("2")):
                extra.append("sse.stream")
            if leaf in _INVARIANT_FIELDS:
                extra.append("object.invariants")
            checks = (*RESPONSE_CHECKS, *extra)
        out.append((kind, where, message, checks))
    return out


_Raw = tuple[str, str, str, str]  # kind, where, message, leaf (the last field name, for check mapping)


class _SchemaDiff:
    """Structural schema comparison across two documents, memoised per pair of named schemas."""

    def __init__(self, old_doc: dict[str, Any], new_doc: dict[str, Any]) -> None:
        self.old_doc = old_doc
        self.new_doc = new_doc
        self.dirty = _dirty_components(old_doc, new_doc)
        self.memo: dict[tuple[str | None, str | None, str], list[_Raw]] = {}
        self.active: set[tuple[str | None, str | None, str]] = set()

    def compare(self, old: Any, new: Any, direction: str, where: str, leaf: str = "") -> list[_Raw]:
        old_ref = old.get("$ref") if isinstance(old, dict) else None
        new_ref = new.get("$ref") if isinstance(new, dict) else None
        if not (isinstance(old_ref, str) or isinstance(new_ref, str)):
            return self._nodes(old, new, direction, where, leaf)
        if old_ref == new_ref and _component(old_ref) not in self.dirty:
            return []
        key = (old_ref, new_ref, direction)
        if key in self.memo:
            return self.memo[key]
        if key in self.active:
            return []  # a cycle: the outer comparison of this pair reports its changes
        self.active.add(key)
        try:
            name = _ref_name(new_ref if isinstance(new_ref, str) else old_ref)
            old_node = _follow(self.old_doc, old)
            new_node = _follow(self.new_doc, new)
            found = self._nodes(old_node, new_node, direction, name, leaf)
        finally:
            self.active.discard(key)
        self.memo[key] = found
        return found

    def _nodes(self, old: Any, new: Any, direction: str, where: str, leaf: str) -> list[_Raw]:
        if not isinstance(old, dict) or not isinstance(new, dict):
            return []
        old_v = _view(self.old_doc, old)
        new_v = _view(self.new_doc, new)
        out: list[_Raw] = []

        def add(kind: str, message: str, at: str = where, last: str = leaf) -> None:
            out.append((kind, at, message, last))

        if _is_union(old_v) != _is_union(new_v):  # one side is a union: compare it variant by variant
            return out + self._variants(old_v, new_v, direction, where, leaf, add)
        req = direction == REQUEST
        _types_diff(old_v, new_v, req, add)
        _enum_diff(old_v, new_v, req, add)
        _bounds_diff(old_v, new_v, req, add)
        if old_v.get("format") != new_v.get("format") and old_v.get("format") and new_v.get("format"):
            add("format-changed", f"format {old_v['format']} -> {new_v['format']}")
        out += self._properties(old_v, new_v, direction, where, add)
        if isinstance(old_v.get("items"), dict) and isinstance(new_v.get("items"), dict):
            out += self.compare(old_v["items"], new_v["items"], direction, f"{where}[]", leaf)
        old_extra, new_extra = old_v.get("additionalProperties"), new_v.get("additionalProperties")
        if req and old_extra is not False and new_extra is False and old_v.get("properties") is not None:
            add("request-closed", "unknown fields are now refused (additionalProperties: false)")
        elif req and old_extra is False and new_extra is not False:
            add("request-opened", "unknown fields are now accepted")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            out += self.compare(old_extra, new_extra, direction, f"{where}{{*}}", leaf)
        out += self._variants(old_v, new_v, direction, where, leaf, add)
        return out

    def _properties(self, old_v: dict, new_v: dict, direction: str, where: str, add: Any) -> list[_Raw]:
        old_props, new_props = old_v.get("properties") or {}, new_v.get("properties") or {}
        if not isinstance(old_props, dict) or not isinstance(new_props, dict):
            return []
        old_req, new_req = set(old_v.get("required") or ()), set(new_v.get("required") or ())
        req = direction == REQUEST
        out: list[_Raw] = []
        for name, schema in old_props.items():
            at = f"{where}.{name}"
            if name in new_props:
                out += self.compare(schema, new_props[name], direction, at, name)
                if req and name in new_req and name not in old_req:
                    add("request-field-became-required", f"{name} is now required", at, name)
                elif req and name in old_req and name not in new_req:
                    add("request-field-became-optional", f"{name} is now optional", at, name)
                elif not req and name in old_req and name not in new_req:
                    add("response-field-became-optional", f"{name} is no longer required", at, name)
                elif not req and name in new_req and name not in old_req:
                    add("response-field-became-required", f"{name} is now required", at, name)
        gone = [n for n in old_props if n not in new_props]
        fresh = [n for n in new_props if n not in old_props]
        renamed: dict[str, str] = {}
        if not req:
            for name in gone:
                twin = _same_schema(
                    old_props[name], [(n, new_props[n]) for n in fresh if n not in renamed.values()]
                )
                if twin is not None:
                    renamed[name] = twin
        for name in gone:
            at = f"{where}.{name}"
            if name in renamed:
                add("response-field-renamed", f"{name} renamed to {renamed[name]}?", at, name)
            elif req:
                add("request-field-removed", f"{name} removed", at, name)
            else:
                add("response-field-removed", f"{name} removed", at, name)
        for name in fresh:
            at = f"{where}.{name}"
            if req and name in new_req:
                add("request-field-added-required", f"required field {name} added", at, name)
            elif req:
                add("request-field-added", f"optional field {name} added", at, name)
            elif name not in renamed.values():
                add("response-field-added", f"field {name} added", at, name)
        return out

    def _variants(
        self, old_v: dict, new_v: dict, direction: str, where: str, leaf: str, add: Any
    ) -> list[_Raw]:
        old_union, new_union = _is_union(old_v), _is_union(new_v)
        if not old_union and not new_union:
            return []
        if not (old_union and new_union) and not _types(new_v if old_union else old_v):
            return []  # a bare schema against a union: nothing to match it with
        old_flat, old_null = _flatten(self.old_doc, [old_v])
        new_flat, new_null = _flatten(self.new_doc, [new_v])
        req = direction == REQUEST
        if old_null and not new_null:
            add("request-type-narrowed" if req else "response-type-narrowed", "null no longer allowed")
        elif new_null and not old_null:
            add("request-type-widened" if req else "response-type-changed", "null now allowed")
        if _ANY in old_flat or _ANY in new_flat:
            return []  # an unconstrained variant: the union accepts anything on that side
        pairs, gone, fresh = _match_variants(self.old_doc, old_flat, self.new_doc, new_flat)
        out: list[_Raw] = []
        single = len(old_flat) == 1 and len(new_flat) == 1
        for key, old_node, new_node in pairs:
            out += self.compare(old_node, new_node, direction, where if single else f"{where}<{key}>", leaf)
        for key in gone:
            if req:
                add("request-variant-removed", f"variant {key} no longer accepted")
            else:
                add("response-variant-removed", f"variant {key} no longer answered")
        for key in fresh:
            if req:
                add("request-variant-added", f"variant {key} now accepted")
            else:
                add("response-variant-added", f"variant {key} may now be answered")
        return out


def _types_diff(old_v: dict, new_v: dict, req: bool, add: Any) -> None:
    old_t, new_t = _types(old_v), _types(new_v)
    if not old_t or not new_t or old_t == new_t:
        return
    if req:
        lost = {t for t in old_t - new_t if not (t == "integer" and "number" in new_t)}
        if lost:
            add("request-type-narrowed", f"type {_fmt_types(old_t)} -> {_fmt_types(new_t)}")
        else:
            add("request-type-widened", f"type {_fmt_types(old_t)} -> {_fmt_types(new_t)}")
    else:
        unexpected = {t for t in new_t - old_t if not (t == "integer" and "number" in old_t)}
        if unexpected:
            add("response-type-changed", f"type {_fmt_types(old_t)} -> {_fmt_types(new_t)}")
        else:
            add("response-type-narrowed", f"type {_fmt_types(old_t)} -> {_fmt_types(new_t)}")


def _enum_diff(old_v: dict, new_v: dict, req: bool, add: Any) -> None:
    old_e, new_e = _enum(old_v), _enum(new_v)
    if old_e == new_e:
        return
    if old_e is not None and new_e is not None:
        lost, gained = sorted(old_e - new_e), sorted(new_e - old_e)
        if lost:
            add("request-enum-narrowed" if req else "response-enum-narrowed", f"values removed: {_fmt(lost)}")
        if gained:
            add("request-enum-widened" if req else "response-enum-widened", f"values added: {_fmt(gained)}")
    elif new_e is not None:
        add(
            "request-enum-narrowed" if req else "response-enum-narrowed",
            f"now restricted to {_fmt(sorted(new_e))}",
        )
    elif old_e is not None:
        add(
            "request-enum-widened" if req else "response-enum-widened",
            f"no longer restricted to {_fmt(sorted(old_e))}",
        )


def _bounds_diff(old_v: dict, new_v: dict, req: bool, add: Any) -> None:
    tighter, looser = [], []
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        before, after = old_v.get(key), new_v.get(key)
        if before == after or isinstance(before, bool) or isinstance(after, bool):
            continue
        if not isinstance(before, (int, float, type(None))) or not isinstance(
            after, (int, float, type(None))
        ):
            continue
        lower = key in _LOWER_BOUNDS
        if after is None:
            looser.append(f"{key} {before} dropped")
        elif before is None or (after > before if lower else after < before):
            tighter.append(f"{key} {_num(before)} -> {_num(after)}")
        else:
            looser.append(f"{key} {_num(before)} -> {_num(after)}")
    for key in ("pattern", "multipleOf"):
        before, after = old_v.get(key), new_v.get(key)
        if before != after:
            (looser if after is None else tighter).append(f"{key} {before!r} -> {after!r}")
    if not old_v.get("uniqueItems") and new_v.get("uniqueItems"):
        tighter.append("uniqueItems now true")
    if tighter:
        add("request-bounds-tightened" if req else "response-bounds-narrowed", "; ".join(tighter))
    if looser:
        add("request-bounds-loosened" if req else "response-bounds-widened", "; ".join(looser))


def _num(value: Any) -> str:
    return "none" if value is None else str(value)


def _fmt(values: list[str]) -> str:
    shown = ", ".join(values[:_MAX_SHOWN])
    return shown + (f" (+{len(values) - _MAX_SHOWN} more)" if len(values) > _MAX_SHOWN else "")


def _fmt_types(types: frozenset[str]) -> str:
    return "|".join(sorted(types))


def _types(view: dict) -> frozenset[str]:
    kind = view.get("type")
    if isinstance(kind, str):
        return frozenset({kind})
    if isinstance(kind, list):
        return frozenset(str(k) for k in kind)
    return frozenset()


def _enum(view: dict) -> frozenset[str] | None:
    if "const" in view:
        return frozenset({json.dumps(view["const"], sort_keys=True)})
    values = view.get("enum")
    if isinstance(values, list):
        return frozenset(json.dumps(v, sort_keys=True) for v in values)
    return None


def _view(doc: dict[str, Any], node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A schema with `$ref`s followed and `allOf` parts merged: what the comparison reads."""
    node = _follow(doc, node)
    if not isinstance(node, dict):
        return {}
    parts = node.get("allOf")
    if not isinstance(parts, list) or depth > 16:
        return node
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    props: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[str] = list(merged.get("required") or [])
    nullable = False
    for part in parts:
        view = _view(doc, part, depth + 1) if isinstance(part, dict) else {}
        if _is_any(view):
            continue
        if any(_is_any(v) for v in view.get("anyOf") or ()):  # `allOf: [X, {anyOf: [{}, null]}]`
            nullable = nullable or {"type": "null"} in view["anyOf"]  # is a nullable `$ref`: X or null
            continue
        props.update(view.get("properties") or {})
        required += [r for r in view.get("required") or [] if r not in required]
        for key, value in view.items():
            if key not in ("properties", "required", "description", "title"):
                merged.setdefault(key, value)
    if props:
        merged["properties"] = props
    if required:
        merged["required"] = required
    return {"anyOf": [merged, {"type": "null"}]} if nullable else merged


_ANY = "any"
_DESCRIPTIVE = frozenset(
    {"description", "title", "default", "example", "examples", "deprecated", "x-oaiMeta"}
)


def _is_union(view: dict) -> bool:
    return isinstance(view.get("anyOf") or view.get("oneOf"), list)


def _is_any(view: Any) -> bool:
    return isinstance(view, dict) and not (set(view) - _DESCRIPTIVE)


def _flatten(doc: dict[str, Any], variants: list[Any], depth: int = 0) -> tuple[list[Any], bool]:
    """The variants of a union, nested unions expanded, `null` taken out as a flag.

    A variant is kept as written (a `$ref` stays a `$ref`, so changes inside it are reported under its
    name); a `"null"` in its type list is dropped from the copy and counted in the flag instead.
    """
    flat: list[Any] = []
    nullable = False
    for variant in variants:
        view = _view(doc, variant) if isinstance(variant, dict) else {}
        inner = view.get("anyOf") or view.get("oneOf")
        if isinstance(inner, list) and depth < 8:
            more, null = _flatten(doc, inner, depth + 1)
            flat += [v for v in more if v not in flat]
            nullable = nullable or null
            continue
        if _is_any(view):
            if _ANY not in flat:
                flat.append(_ANY)
            continue
        types = _types(view)
        if types == {"null"}:
            nullable = True
            continue
        if "null" in types:
            nullable = True
            variant = dict(view, type=sorted(types - {"null"}))
            if isinstance(variant.get("enum"), list):
                variant["enum"] = [v for v in variant["enum"] if v is not None]
        flat.append(variant)
    return flat, nullable


def _type_key(doc: dict[str, Any], node: Any) -> str:
    view = _view(doc, node)
    key = _fmt_types(_types(view)) or ("object" if "properties" in view else "schema")
    if "const" in view or isinstance(view.get("enum"), list):
        key += " enum"
    return key


def _tag(doc: dict[str, Any], node: Any) -> str:
    """The discriminator value of an object variant: its `type` (or `object`) constant."""
    props = _view(doc, node).get("properties") or {}
    for name in ("type", "object"):
        values = _enum(_view(doc, props[name])) if isinstance(props.get(name), dict) else None
        if values is not None and len(values) == 1:
            return f"{name}={next(iter(values))}"
    return ""


def _bare_type(doc: dict[str, Any], node: Any) -> str:
    view = _view(doc, node)
    return _fmt_types(_types(view)) or ("object" if "properties" in view else "")


def _match_variants(
    old_doc: dict[str, Any], old: list[Any], new_doc: dict[str, Any], new: list[Any]
) -> tuple[list[tuple[str, Any, Any]], list[str], list[str]]:
    """Pair union variants: same schema name first, then the same type when that is unambiguous."""

    def named(doc: dict[str, Any], variants: list[Any]) -> dict[str, Any]:
        keys: dict[str, Any] = {}
        for variant in variants:
            ref = variant.get("$ref") if isinstance(variant, dict) else None
            base = _ref_name(ref) if isinstance(ref, str) else _type_key(doc, variant)
            key, n = base, 2
            while key in keys:
                key, n = f"{base}#{n}", n + 1
            keys[key] = variant
        return keys

    old_keys, new_keys = named(old_doc, old), named(new_doc, new)
    pairs = [(k, old_keys[k], new_keys[k]) for k in old_keys if k in new_keys]
    gone = {k: v for k, v in old_keys.items() if k not in new_keys}
    fresh = {k: v for k, v in new_keys.items() if k not in old_keys}
    # Left over (renamed schemas, an enum turned into a free string...): pair by discriminator
    # value (`type: click`), then by bare type, each only where it is unambiguous.
    for keyer in (_tag, _bare_type):
        old_by: dict[str, list[str]] = {}
        new_by: dict[str, list[str]] = {}
        for key, node in gone.items():
            old_by.setdefault(keyer(old_doc, node), []).append(key)
        for key, node in fresh.items():
            new_by.setdefault(keyer(new_doc, node), []).append(key)
        for kind, keys in old_by.items():
            if kind and len(keys) == 1 and len(new_by.get(kind, ())) == 1:
                old_key, new_key = keys[0], new_by[kind][0]
                label = new_key if old_key == new_key else f"{old_key}->{new_key}"
                pairs.append((label, gone.pop(old_key), fresh.pop(new_key)))
    return pairs, list(gone), list(fresh)


def _same_schema(schema: Any, candidates: list[tuple[str, Any]]) -> str | None:
    text = json.dumps(_describe_free(schema), sort_keys=True)
    matches = [n for n, s in candidates if json.dumps(_describe_free(s), sort_keys=True) == text]
    return matches[0] if len(matches) == 1 else None


def _describe_free(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _describe_free(v) for k, v in node.items() if k not in ("description", "title", "example")}
    if isinstance(node, list):
        return [_describe_free(v) for v in node]
    return node


def _follow(doc: dict[str, Any], node: Any, limit: int = 64) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and limit:
        node = _pointer(doc, node["$ref"])
        limit -= 1
    return node


def _pointer(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for raw in ref.lstrip("#").split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return {}
    return node


def _ref_name(ref: str | None) -> str:
    return (ref or "").rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def _component(ref: str | None) -> str:
    """`#/components/schemas/X/properties/y` -> `#/components/schemas/X`; other refs stay whole."""
    parts = (ref or "").split("/")
    return "/".join(parts[:4]) if len(parts) >= 4 and parts[1] == "components" else (ref or "")


def _dirty_components(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> set[str]:
    """Components that differ between the documents, or reach (through `$ref`) one that does."""
    old_c, new_c = old_doc.get("components") or {}, new_doc.get("components") or {}
    dirty: set[str] = set()
    entries: list[tuple[str, Any, Any]] = []
    for section in set(old_c) | set(new_c):
        old_s, new_s = old_c.get(section) or {}, new_c.get(section) or {}
        if not isinstance(old_s, dict) or not isinstance(new_s, dict):
            continue
        for name in set(old_s) | set(new_s):
            pointer = f"#/components/{section}/{name.replace('~', '~0').replace('/', '~1')}"
            old_value, new_value = old_s.get(name), new_s.get(name)
            if name not in old_s or name not in new_s or old_value != new_value:
                dirty.add(pointer)
            entries.append((pointer, old_value, new_value))
    if not dirty:
        return dirty  # identical components: nothing to propagate
    referrers: dict[str, set[str]] = {}
    for pointer, old_value, new_value in entries:
        refs = set(_refs(old_value))
        if new_value != old_value:
            refs |= set(_refs(new_value))
        for ref in refs:
            referrers.setdefault(_component(ref), set()).add(pointer)
    queue = list(dirty)
    while queue:
        for parent in referrers.get(queue.pop(), ()):
            if parent not in dirty:
                dirty.add(parent)
                queue.append(parent)
    return dirty


_REF = re.compile(r'"\$ref": "((?:[^"\\]|\\.)*)"')


def _refs(node: Any) -> Iterable[str]:
    """Every `$ref` under a node (read from its JSON text: much faster than walking it in Python)."""
    if node is None:
        return []
    return [json.loads(f'"{ref}"') for ref in _REF.findall(json.dumps(node))]
