"""Request validation derived from the spec, never written per endpoint.

Path, query and header parameters and JSON, form or multipart bodies are checked against the
operation's schemas, through the spec's one validator registry (`spec.validators`).
A violation raises `ApiError(400)` with `param` naming the offending field the way the real API
does (`tools[0].type`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from conformance.emulator.errors import ApiError
from conformance.emulator.pagination import limit_range
from conformance.spec import Operation, Spec, Validators, forms
from conformance.spec.jsontypes import json_type

JSON_TYPES = ("application/json",)
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)


@dataclass
class Parsed:
    query: dict[str, Any]
    body: Any
    files: dict[str, tuple[str, bytes, str]]


async def validate_request(
    validators: Validators,
    operation: Operation,
    request: Request,
    path_params: dict[str, str],
    max_bytes: int,
) -> Parsed:
    """Validate everything the operation declares; returns the coerced query, body and files."""
    spec = validators.spec
    for param in operation.parameters:
        if param.location == "path" and param.name in path_params:
            _check_value(validators, param.schema, path_params[param.name], param.name)
        elif param.location == "header":
            value = request.headers.get(param.name)
            if value is None:
                if param.required:
                    raise ApiError(400, f"Missing required header: '{param.name}'.", param=param.name)
                continue
            _check_value(
                validators, param.schema, _coerce(spec, param.schema, [value], param.name), param.name
            )
    query = _query(validators, operation, request)
    body, files = await _body(validators, operation, request, max_bytes)
    return Parsed(query, body, files)


# -- query ---------------------------------------------------------------------------------------


def _query(validators: Validators, operation: Operation, request: Request) -> dict[str, Any]:
    spec = validators.spec
    raw = request.query_params
    query: dict[str, Any] = {}
    for param in operation.parameters:
        if param.location != "query":
            continue
        schema = spec.resolve(param.schema) or {}
        values = raw.getlist(param.name)
        if not values and param.name.endswith("[]"):
            values = raw.getlist(param.name[:-2])
        if not values and forms.schema_type(schema) == "object":
            nested = {
                k[len(param.name) + 1 : -1]: v for k, v in raw.items() if k.startswith(param.name + "[")
            }
            if nested:
                _check_value(validators, param.schema, nested, param.name)
                query[param.name] = nested
                continue
        if not values:
            if param.required:
                raise ApiError(400, f"Missing required parameter: '{param.name}'.", param=param.name)
            if "default" in schema:
                query[param.name] = schema["default"]
            continue
        value = _coerce(spec, param.schema, values, param.name)
        _check_value(validators, param.schema, value, param.name)
        query[param.name] = value
    limits = limit_range(spec, operation)
    if limits is not None and isinstance(query.get("limit"), int):
        limit = query["limit"]
        if limit < limits.minimum:
            raise ApiError(
                400,
                f"Invalid 'limit': integer below minimum value. Expected a value >= {limits.minimum}, "
                f"but got {limit} instead.",
                param="limit",
                code="integer_below_min_value",
            )
        if limits.maximum is not None and limit > limits.maximum:
            raise ApiError(
                400,
                f"Invalid 'limit': integer above maximum value. Expected a value <= {limits.maximum}, "
                f"but got {limit} instead.",
                param="limit",
                code="integer_above_max_value",
            )
    return query


def _coerce(spec: Spec, schema: Any, values: list[str], name: str) -> Any:
    """Query/form strings to the schema's type; a string that cannot convert gets 400."""
    try:
        return forms.coerce(spec, schema, values, name)
    except forms.FormValueError as exc:
        raise _invalid_type(exc) from None


def _form_fields(spec: Spec, schema: Any, items: Any) -> dict[str, Any]:
    """Form fields to typed values (`spec.forms`, as the proxy reads them); uploads are not fields."""
    fields = [(key, str(value)) for key, value in items if not isinstance(value, UploadFile)]
    try:
        return forms.form_fields(spec, schema, fields)
    except forms.FormValueError as exc:
        raise _invalid_type(exc) from None


def _invalid_type(exc: forms.FormValueError) -> ApiError:
    return ApiError(400, exc.message, param=exc.param, code="invalid_type")


def _check_value(validators: Validators, schema: Any, value: Any, name: str) -> None:
    if not schema:
        return
    error = validators.first_error(schema, value)
    if error is not None:
        raise _to_api_error(error, prefix=name)


# -- body ----------------------------------------------------------------------------------------


async def _body(
    validators: Validators, operation: Operation, request: Request, max_bytes: int
) -> tuple[Any, dict[str, tuple[str, bytes, str]]]:
    if not operation.request_bodies:
        return None, {}
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    declared = operation.request_bodies
    if media_type == MULTIPART and MULTIPART in declared:
        body, files = await _multipart(validators, operation, request, max_bytes)
        _check_body(validators, declared[MULTIPART], body, with_files=files)
        return body, files
    if media_type == FORM and FORM in declared:
        form = await request.form()
        body = _form_fields(validators.spec, declared[FORM], form.multi_items())
        _check_body(validators, declared[FORM], body)
        return body, {}
    json_type = next((mt for mt in declared if mt in JSON_TYPES or mt.endswith("+json")), None)
    raw = await request.body()
    if media_type and media_type not in declared and not (json_type and _is_json(media_type)):
        if not raw and not operation.body_required:
            return None, {}
        expected = ", ".join(declared)
        raise ApiError(
            400,
            f"Invalid Content-Type header ({media_type}), expected {expected}.",
            code="invalid_content_type",
        )
    if json_type is None:
        expected = ", ".join(declared)
        raise ApiError(400, f"This endpoint expects a {expected} body.", code="invalid_content_type")
    if not raw.strip():
        if operation.body_required:
            raise ApiError(400, "You must provide a JSON body for this request.", code="missing_body")
        return None, {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, _BAD_JSON, code="invalid_json") from None
    _check_body(validators, declared[json_type], body)
    return body, {}


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _check_body(
    validators: Validators,
    schema: Any,
    body: Any,
    with_files: dict[str, tuple[str, bytes, str]] | None = None,
) -> None:
    if not schema:
        return
    instance = body
    if with_files:
        instance = dict(body, **{name: filename for name, (filename, _, _) in with_files.items()})
    error = validators.first_error(schema, instance)
    if error is not None:
        raise _to_api_error(error)


async def _multipart(
    validators: Validators, operation: Operation, request: Request, max_bytes: int
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes, str]]]:
    try:
        form = await request.form(max_part_size=max(1024 * 1024, min(max_bytes, 64 * 1024 * 1024)))
    except Exception as exc:  # python-multipart raises several unrelated types for bad input
        detail = str(exc) or type(exc).__name__
        raise ApiError(
            400, f"Could not parse the multipart form data: {detail}.", code="invalid_multipart"
        ) from None
    fields: list[tuple[str, Any]] = []
    files: dict[str, tuple[str, bytes, str]] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                if len(data) > max_bytes:
                    raise ApiError(
                        413,
                        f"File too large: {len(data)} bytes; the maximum is {max_bytes} bytes.",
                        param=key,
                        code="file_too_large",
                    )
                files[key] = (
                    value.filename or "upload",
                    data,
                    value.content_type or "application/octet-stream",
                )
            else:
                fields.append((key, value))
    finally:
        await form.close()
    return _form_fields(validators.spec, operation.request_bodies[MULTIPART], fields), files


# -- messages ------------------------------------------------------------------------------------


def param_name(path: list[Any], prefix: str | None = None) -> str | None:
    """`['tools', 0, 'type']` → `tools[0].type`, as the real API names nested fields."""
    text = prefix or ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


_CLEAN = re.compile(r"\s+")
# How the real API words JSON types in its "Invalid type" messages.
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _off_branch(branch: list[Any], path: list[Any]) -> bool:
    """A union branch the client clearly did not mean: it fails only on the value's own type
    (e.g. the `null` of a nullable), or on its `type` discriminator."""
    if all(type(e.kind).__name__ == "Type" and list(e.instance_path) == path for e in branch):
        return True
    return any(
        type(e.kind).__name__ in ("Enum", "Constant") and list(e.instance_path) == [*path, "type"]
        for e in branch
    )


def _best(error: Any, depth: int = 0) -> Any:
    """Descend into anyOf/oneOf failures to the branch the client most likely meant."""
    context = getattr(error.kind, "context", None)
    if not context or depth > 16 or _discriminator_values(error):
        return error
    path = list(error.instance_path)
    candidates = [branch for branch in context if branch and not _off_branch(branch, path)]
    if not candidates:
        return error
    branch = min(candidates, key=lambda b: (len(b), -len(list(b[0].instance_path))))
    return _best(branch[0], depth + 1)


def _union_types(error: Any) -> list[str]:
    """The types a union accepts, when every branch failed on the value's type alone."""
    context = getattr(error.kind, "context", None) or []
    path = list(error.instance_path)
    types: list[str] = []
    for branch in context:
        if not branch or not all(
            type(e.kind).__name__ == "Type" and list(e.instance_path) == path for e in branch
        ):
            return []
        types += [t for e in branch for t in e.kind.types if t not in types]
    return types


def _discriminator_values(error: Any) -> list[Any]:
    """The `type` values a union accepts, when every branch failed on its discriminator."""
    context = getattr(error.kind, "context", None) or []
    where = [*error.instance_path, "type"]
    values: list[Any] = []
    for branch in context:
        found = [
            e
            for e in branch
            if type(e.kind).__name__ in ("Enum", "Constant") and list(e.instance_path) == where
        ]
        if not found:
            return []
        for e in found:
            options = e.kind.as_dict()
            for value in options.get("options") or [options.get("expected_value")]:
                if value not in values:
                    values.append(value)
    return values


def _to_api_error(error: Any, prefix: str | None = None) -> ApiError:
    error = _best(error)
    allowed = _discriminator_values(error)
    if allowed and isinstance(error.instance, dict):
        field = param_name([*error.instance_path, "type"], prefix)
        supported = ", ".join(f"'{v}'" for v in allowed)
        return ApiError(
            400,
            f"Invalid value: '{error.instance.get('type')}'. Supported values are: {supported}.",
            param=field,
            code="invalid_value",
        )
    path = list(error.instance_path)
    kind = error.kind
    name = type(kind).__name__
    if name == "Required":
        field = param_name([*path, kind.property], prefix)
        return ApiError(
            400, f"Missing required parameter: '{field}'.", param=field, code="missing_required_parameter"
        )
    if name == "AdditionalProperties":
        unexpected = list(getattr(kind, "unexpected", []) or [])
        field = param_name([*path, unexpected[0]], prefix) if unexpected else param_name(path, prefix)
        return ApiError(
            400, f"Unrecognized request argument supplied: {field}", param=field, code="unknown_parameter"
        )
    field = param_name(path, prefix)
    types = list(kind.types) if name == "Type" else _union_types(error)
    if types and field:
        expected = [_TYPE_WORDS.get(t, t) for t in types if t != "null"] or ["null"]
        return ApiError(
            400,
            f"Invalid type for '{field}': expected {' or '.join(expected)}, "
            f"but got {_TYPE_WORDS.get(json_type(error.instance), 'a value')} instead.",
            param=field,
            code="invalid_type",
        )
    message = _CLEAN.sub(" ", error.message)
    if len(message) > 300:
        message = message[:300] + "…"
    where = f"'{field}'" if field else "the request body"
    code = {
        "Type": "invalid_type",
        "Enum": "invalid_value",
        "MaxLength": "string_above_max_length",
        "MinLength": "string_below_min_length",
        "MaxItems": "array_above_max_length",
        "MinItems": "empty_array",
        "Maximum": "decimal_above_max_value",
        "Minimum": "decimal_below_min_value",
        "MaxProperties": "object_above_max_properties",
    }.get(name, "invalid_value")
    return ApiError(400, f"Invalid value for {where}: {message}", param=field, code=code)
