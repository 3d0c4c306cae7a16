"""Negative requests: a valid request with exactly one named constraint broken.

Each `Mutation` is found by reading the operation's schemas once (a required field, an enum, a
maximum…) and carries its label ("maximum: limit"). At draw time a positive request is mutated and
re-validated; a mutation is only handed out when the validator reports the very constraint its label
names, so no negative request is accidentally valid (`anyOf` branches or permissive schemas that
swallow the bad value are caught here rather than trusted).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from conformance.exchange import JSON, Request
from conformance.spec import Operation, Parameter, schema_properties
from conformance.spec.jsontypes import json_type
from conformance.strategies import ids
from conformance.strategies.paths import concrete_path
from conformance.strategies.validation import FORM_TYPES, RequestValidator, wire_readings

_BAD_CHOICE = "not-a-valid-choice"
_NOT_A_NUMBER = "not-a-number"
_EXTRA_FIELD = "x_conformance_unexpected"
PATH_ID_SHAPE = "path id shape: "  # the label of a negative request whose path id has the wrong shape (the runner reads it)
_MAX_STRING = 1_000_000  # longer maxLength values are not worth a megabyte per request
# One value of each JSON type, to find a type a field does not accept.
_TYPE_SAMPLES: tuple[Any, ...] = ("conformance", 12345, 1.5, True, [], {"unexpected": True}, None)


@dataclass(frozen=True)
class Mutation:
    label: str  # the `breaks` text: "required: model"
    apply: Callable[[Request], Request | None]  # None when this request cannot carry the mutation


def mutations(validator: RequestValidator, op: Operation) -> list[Mutation]:
    """Every single-constraint mutation the operation's schemas allow, in a stable order."""
    found: list[Mutation] = []
    for param in op.parameters:
        found += _parameter_mutations(validator, op, param)
    for media_type, schema in op.request_bodies.items():
        found += _body_mutations(validator, op, media_type, schema)
    if op.request_bodies:
        found += _envelope_mutations(op)
    unique: dict[str, Mutation] = {}
    for mutation in found:
        unique.setdefault(mutation.label, mutation)
    return list(unique.values())


# -- parameters ------------------------------------------------------------------------------


def _parameter_mutations(validator: RequestValidator, op: Operation, param: Parameter) -> list[Mutation]:
    out: list[Mutation] = []
    name, location = param.name, param.location
    if location == "path":
        kind = ids.kind_for(name, op.path)
        if kind is not None:
            bad = next(c for c in ("not-an-id", "12345", "abc_def") if not kind.matches(c))
            out.append(Mutation(f"{PATH_ID_SHAPE}{name}", _set_path(name, bad)))
        return out
    if location not in ("query", "header"):
        return out
    if param.required:
        out.append(Mutation(f"required: {name}", _drop_param(location, name)))

    def rejects(value: Any) -> bool:
        # On the wire every query value is a string, so "5" counts as 5 for an integer parameter.
        return not any(validator.is_valid(param.schema, v) for v in [value, *wire_readings(value)])

    schema = _effective(validator, param.schema)
    accepted = _accepted_types(validator, param.schema)
    if accepted is not None and "string" not in accepted and rejects(_NOT_A_NUMBER):
        out.append(Mutation(f"type: {name}", _set_param(location, name, _NOT_A_NUMBER)))
    elif _is_enum(schema) and rejects(_BAD_CHOICE):
        out.append(Mutation(f"enum: {name}", _set_param(location, name, _BAD_CHOICE)))
    for keyword, value in _bound_values(schema):
        if rejects(value):
            out.append(Mutation(f"{keyword}: {name}", _set_param(location, name, value)))
    return out


def _drop_param(location: str, name: str) -> Callable[[Request], Request | None]:
    def apply(request: Request) -> Request | None:
        if location == "query":
            return replace(request, query={k: v for k, v in request.query.items() if k != name})
        return replace(
            request, headers={k: v for k, v in request.headers.items() if k.lower() != name.lower()}
        )

    return apply


def _set_param(location: str, name: str, value: Any) -> Callable[[Request], Request | None]:
    def apply(request: Request) -> Request | None:
        if location == "query":
            return replace(request, query={**request.query, name: value})
        headers = {k: v for k, v in request.headers.items() if k.lower() != name.lower()}
        return replace(request, headers={**headers, name: str(value)})

    return apply


def _set_path(name: str, value: str) -> Callable[[Request], Request | None]:
    def apply(request: Request) -> Request | None:
        params = {**request.path_params, name: value}
        return replace(request, path_params=params, path=concrete_path(request.path_template or "", params))

    return apply


# -- body ------------------------------------------------------------------------------------


def _body_mutations(
    validator: RequestValidator, op: Operation, media_type: str, schema: Any
) -> list[Mutation]:
    doc = validator.spec.document
    root = validator.spec.resolve(schema)
    if not isinstance(root, dict):
        return []
    out: list[Mutation] = []
    form = media_type in FORM_TYPES
    if media_type == JSON:
        sample: object
        for sample in ([], "conformance", 12345):
            if not validator.is_valid(schema, sample):
                out.append(Mutation("type: body", _set_body(media_type, sample)))
                break
    if "anyOf" in root or "oneOf" in root:
        return out  # a union root: which field is required depends on the branch
    props = schema_properties(doc, root)
    for name in _required(validator, root):
        out.append(Mutation(f"required: {name}", _drop_field(media_type, name)))
    if root.get("additionalProperties") is False or root.get("unevaluatedProperties") is False:
        if _EXTRA_FIELD not in props:
            out.append(
                Mutation(f"additionalProperties: {_EXTRA_FIELD}", _set_field(media_type, _EXTRA_FIELD, 1))
            )
    for name, prop in props.items():
        if not isinstance(prop, dict):
            continue
        effective = _effective(validator, prop)

        def rejects(value: Any, prop: Any = prop) -> bool:
            return not validator.is_valid(prop, value)

        # A form field travels as text: only a non-numeric string is a type error a server can see.
        samples = (_NOT_A_NUMBER,) if form else _TYPE_SAMPLES
        accepted = _accepted_types(validator, prop)
        wrong = [v for v in samples if accepted is not None and json_type(v) not in accepted]
        bad_type = next((v for v in wrong if rejects(v)), _MISSING)
        if bad_type is not _MISSING:
            out.append(Mutation(f"type: {name}", _set_field(media_type, name, bad_type)))
        if _is_enum(effective) and rejects(_BAD_CHOICE):
            out.append(Mutation(f"enum: {name}", _set_field(media_type, name, _BAD_CHOICE)))
        for keyword, value in _bound_values(effective):
            if form and value == []:
                continue  # an empty array is no form field at all: the server sees the field absent
            if rejects(value):
                out.append(Mutation(f"{keyword}: {name}", _set_field(media_type, name, value)))
    return out


_MISSING = object()


def _required(validator: RequestValidator, root: dict[str, Any]) -> list[str]:
    names = list(root.get("required") or [])
    for part in root.get("allOf") or []:
        part = validator.spec.resolve(part)
        if isinstance(part, dict):
            names += _required(validator, part)
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))


def _drop_field(media_type: str, name: str) -> Callable[[Request], Request | None]:
    def apply(request: Request) -> Request | None:
        if request.media_type != media_type or not isinstance(request.body, dict):
            return None
        body = {k: v for k, v in request.body.items() if k != name}
        uploads = {k: v for k, v in (request.files or {}).items() if k != name} or None
        return replace(request, body=body, files=uploads)

    return apply


def _set_field(media_type: str, name: str, value: Any) -> Callable[[Request], Request | None]:
    def apply(request: Request) -> Request | None:
        if request.media_type != media_type or not isinstance(request.body, dict):
            return None
        uploads = {k: v for k, v in (request.files or {}).items() if k != name} or None
        return replace(request, body={**request.body, name: value}, files=uploads)

    return apply


def _set_body(media_type: str, value: Any) -> Callable[[Request], Request | None]:
    def apply(request: Request) -> Request | None:
        return replace(request, body=value, files=None, content=None, media_type=media_type)

    return apply


def _envelope_mutations(op: Operation) -> list[Mutation]:
    out: list[Mutation] = []
    declared = set(op.request_bodies)
    if JSON in declared:

        def malformed(request: Request) -> Request | None:
            body = request.body if request.media_type == JSON else {"model": "gpt-4o-mini"}
            text = json.dumps(body, default=str)
            # Cut before the last character and end on a comma: never parses, whatever the body was.
            return replace(request, content=text[:-1].encode() + b",", body=None, files=None, media_type=JSON)

        out.append(Mutation("malformed JSON", malformed))
    wrong = next(
        t for t in ("text/plain", "application/xml", "application/octet-stream") if t not in declared
    )
    if not any(t in ("*/*", "text/*") for t in declared):

        def content_type(request: Request) -> Request | None:
            payload = request.body if request.body is not None else {}
            content = json.dumps(payload, default=str).encode()
            return replace(request, content=content, body=None, files=None, media_type=wrong)

        out.append(Mutation("content-type", content_type))
    if op.body_required:

        def no_body(request: Request) -> Request | None:
            return replace(request, body=None, files=None, content=None, media_type=None)

        out.append(Mutation("required: body", no_body))
    return out


# -- schema reading --------------------------------------------------------------------------


def _effective(validator: RequestValidator, schema: Any) -> dict[str, Any]:
    """The schema a value must meet when it is not null: `anyOf: [X, {type: null}]` read as X."""
    node = validator.spec.resolve(schema)
    for _ in range(8):
        if not isinstance(node, dict):
            return {}
        branches = node.get("anyOf") or node.get("oneOf")
        if isinstance(branches, list):
            real = [b for b in branches if validator.spec.resolve(b) != {"type": "null"}]
            if len(real) == 1:
                node = validator.spec.resolve(real[0])
                continue
        if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1 and len(node) <= 3:
            node = validator.spec.resolve(node["allOf"][0])
            continue
        return node
    return node if isinstance(node, dict) else {}


def _accepted_types(validator: RequestValidator, schema: Any, depth: int = 0) -> set[str] | None:
    """The JSON types a schema can accept, or None when it does not say (it may accept anything)."""
    node = validator.spec.resolve(schema)
    if not isinstance(node, dict) or depth > 12:
        return None
    found: set[str] | None = None
    if "type" in node:
        declared = node["type"]
        found = set(declared if isinstance(declared, list) else [declared])
    elif "enum" in node or "const" in node:
        values = node.get("enum") if "enum" in node else [node["const"]]
        found = {json_type(v) for v in values or []}
    branches = node.get("anyOf") or node.get("oneOf")
    if isinstance(branches, list):
        union: set[str] = set()
        for branch in branches:
            inner = _accepted_types(validator, branch, depth + 1)
            if inner is None:
                return found  # a branch that says nothing: only the node's own `type` limits it
            union |= inner
        found = union if found is None else found & union
    for part in node.get("allOf") or []:
        inner = _accepted_types(validator, part, depth + 1)
        if inner is not None:
            found = inner if found is None else found & inner
    if found is not None and "number" in found:
        found.add("integer")  # JSON Schema: every integer is a number
    return found


def _is_enum(schema: dict[str, Any]) -> bool:
    values = schema.get("enum")
    return isinstance(values, list) and bool(values) and all(isinstance(v, str) or v is None for v in values)


def _bound_values(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """(keyword, a value just past it) for each numeric, length and size bound of `schema`."""
    out: list[tuple[str, Any]] = []
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    integer = "integer" in types and "number" not in types
    step = 1 if integer else 0.5
    if isinstance(schema.get("maximum"), (int, float)) and not isinstance(schema.get("maximum"), bool):
        out.append(("maximum", _num(schema["maximum"] + step, integer)))
    if isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(
        schema["exclusiveMaximum"], bool
    ):
        out.append(("exclusiveMaximum", _num(schema["exclusiveMaximum"], integer)))
    if isinstance(schema.get("minimum"), (int, float)) and not isinstance(schema.get("minimum"), bool):
        out.append(("minimum", _num(schema["minimum"] - step, integer)))
    if isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(
        schema["exclusiveMinimum"], bool
    ):
        out.append(("exclusiveMinimum", _num(schema["exclusiveMinimum"], integer)))
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and max_length < _MAX_STRING and "string" in types:
        out.append(("maxLength", "x" * (max_length + 1)))
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and min_length > 0 and "string" in types:
        out.append(("minLength", "x" * (min_length - 1)))
    max_items = schema.get("maxItems")
    if isinstance(max_items, int) and max_items < 10_000:
        out.append(("maxItems", ["conformance"] * (max_items + 1)))
    min_items = schema.get("minItems")
    if isinstance(min_items, int) and min_items > 0:
        out.append(("minItems", []))
    return out


def _num(value: float, integer: bool) -> float | int:
    return int(value) if integer and float(value).is_integer() else value
