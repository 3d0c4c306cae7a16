"""Request validation: does a `Request` fit its operation, and if not, which constraint does it break?

Strategies use it to prove their own output (a positive request validates; a negative one fails for
the reason its `breaks` label states) and the runner can use it to say why a target should have
answered 400. Schemas compile once, in the spec's one validator registry (`spec.validators`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from conformance.exchange import JSON, Request
from conformance.spec import Operation, Spec
from conformance.strategies.ids import kind_for

FILE_PLACEHOLDER = "<file>"  # what a multipart file part is, to a schema (`type: string, format: binary`)
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_COMBINATORS = ("anyOf", "oneOf")
_DEEP_KEY = re.compile(r"^([^\[\]]+)\[([^\[\]]+)\]$")


@dataclass(frozen=True)
class Violation:
    """One broken constraint. `name` is a parameter name or a dotted body path (`tools.0.type`)."""

    location: str  # body | query | path | header | request
    name: str
    keyword: str  # a JSON Schema keyword, or: malformed JSON, content-type, id shape
    message: str

    def __str__(self) -> str:
        where = f"{self.location} {self.name}".strip()
        return f"{where}: {self.keyword}: {self.message}"


class RequestValidator:
    """Validates requests against one spec. Build once per spec; each schema compiles on first use."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._validators = spec.validators

    def schema_errors(self, schema: Any, instance: Any) -> list[jsonschema_rs.ValidationError]:
        """Errors of `instance` against a schema node of this spec (a body or parameter schema)."""
        return list(self._validators.iter_errors(schema, instance))

    def is_valid(self, schema: Any, instance: Any) -> bool:
        return self._validators.is_valid(schema, instance)

    def validate(self, operation: Operation, request: Request, *, id_shapes: bool = True) -> list[Violation]:
        """Every constraint `request` breaks. `id_shapes` also checks path ids against their prefix."""
        found = self._parameters(operation, request, id_shapes)
        found += self._body(operation, request)
        return found

    # -- parameters --------------------------------------------------------------------------

    def _parameters(self, operation: Operation, request: Request, id_shapes: bool) -> list[Violation]:
        found: list[Violation] = []
        query = _gather_deep_objects(request.query)
        headers = {k.lower(): v for k, v in request.headers.items()}
        for param in operation.parameters:
            if param.location == "path":
                present, value = param.name in request.path_params, request.path_params.get(param.name)
            elif param.location == "query":
                present, value = param.name in query, query.get(param.name)
            elif param.location == "header":
                present, value = param.name.lower() in headers, headers.get(param.name.lower())
            else:
                continue
            if not present:
                if param.required:
                    found.append(Violation(param.location, param.name, "required", "missing"))
                continue
            found += self._parameter_value(param.schema, param.location, param.name, value)
            if param.location == "path" and id_shapes:
                kind = kind_for(param.name, operation.path)
                if kind is not None and not kind.matches(value):
                    message = f"{value!r} is not a {kind.kind} id ({kind.prefix}…)"
                    found.append(Violation("path", param.name, "id shape", message))
        return found

    def _parameter_value(self, schema: Any, location: str, name: str, value: Any) -> list[Violation]:
        errors = self.schema_errors(schema, value)
        if not errors:
            return []
        for candidate in wire_readings(value):  # a query string carries "10", the schema says integer
            if self.is_valid(schema, candidate):
                return []
        return [_violation(location, name, error) for error in errors]

    # -- body --------------------------------------------------------------------------------

    def _body(self, operation: Operation, request: Request) -> list[Violation]:
        has_body = request.content is not None or request.body is not None or bool(request.files)
        if not operation.request_bodies:
            return []
        if not has_body:
            if operation.body_required:
                return [Violation("body", "body", "required", "the operation requires a request body")]
            return []
        media_type = (request.media_type or "").split(";")[0].strip().lower()
        schema = _schema_for(operation, media_type)
        if schema is None:
            declared = ", ".join(operation.request_bodies)
            return [
                Violation(
                    "request", "content-type", "content-type", f"{media_type!r} is not one of {declared}"
                )
            ]
        if request.content is not None:
            if not is_json(media_type):
                return []  # raw bytes of a non-JSON type (application/sdp): nothing to validate
            try:
                instance = json.loads(request.content)
            except (ValueError, UnicodeDecodeError) as exc:
                return [Violation("body", "body", "malformed JSON", str(exc))]
        elif media_type in FORM_TYPES:
            instance = dict(request.body or {})
            for field in request.files or {}:
                instance[field] = FILE_PLACEHOLDER
        else:
            instance = request.body
        return [_violation("body", "", error) for error in self.schema_errors(schema, instance)]


def _schema_for(operation: Operation, media_type: str) -> Any:
    if media_type in operation.request_bodies:
        return operation.request_bodies[media_type]
    for declared, schema in operation.request_bodies.items():
        if declared.endswith("/*") and media_type.startswith(declared[:-1]) or declared == "*/*":
            return schema
    return None


def is_json(media_type: str) -> bool:
    """`application/json` or a `+json` type."""
    return media_type == JSON or media_type.endswith("+json")


def _violation(location: str, prefix: str, error: jsonschema_rs.ValidationError) -> Violation:
    path = [str(p) for p in error.instance_path]
    keyword = str(error.schema_path[-1]) if error.schema_path else "schema"
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        path.append(str(kind.property))
    elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties) and kind.unexpected:
        path.append(str(kind.unexpected[0]))
    name = ".".join([prefix, *path] if prefix else path)
    return Violation(location, name or "body", keyword, error.message)


def wire_readings(value: Any) -> list[Any]:
    """How a server may read a query or header string: as a number, a boolean, or a one-item list."""
    if isinstance(value, list):
        return [[r[0] if (r := wire_readings(v)) else v for v in value]]
    if not isinstance(value, str):
        return [[value]]
    readings: list[Any] = []
    if value in ("true", "false"):
        readings.append(value == "true")
    try:
        readings.append(int(value))
    except ValueError:
        try:
            readings.append(float(value))
        except ValueError:
            pass
    readings.append([value])
    return readings


def _gather_deep_objects(query: dict[str, Any]) -> dict[str, Any]:
    """`metadata[key]=v` query keys back into `{"metadata": {"key": "v"}}` (deepObject style)."""
    out: dict[str, Any] = {}
    for key, value in query.items():
        match = _DEEP_KEY.match(key) if key not in out else None
        if match and not key.endswith("[]"):
            out.setdefault(match.group(1), {})[match.group(2)] = value
        else:
            out[key] = value
    return out


def explains(violations: list[Violation], breaks: str | None) -> bool:
    """Whether one of `violations` is the constraint a negative request's `breaks` label names."""
    if not breaks:
        return False
    if breaks in ("malformed JSON", "content-type"):
        return any(v.keyword == breaks for v in violations)
    keyword, _, subject = breaks.partition(": ")
    if keyword == "path id shape":
        return any(v.location == "path" and v.name == subject and v.keyword == "id shape" for v in violations)
    for v in violations:
        if v.name != subject:
            continue
        if v.keyword == keyword or v.keyword in _COMBINATORS:
            return True
    return False
