"""Form fields as the spec types them: one decoding for the emulator and the proxy.

A form (multipart or urlencoded) carries only strings. The emulator turns them into typed values
before it validates a request, and the proxy (and replay) must read the same values out of the
same bytes, or its checks judge `stream="true"` where the runner sent `stream: true`. Both call
`form_fields`; the emulator with `strict=True` (a string that cannot convert is an error the
client gets), the proxy with `strict=False` (such a string stays as it came, for the checks to
judge).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from conformance.spec.index import schema_properties

if TYPE_CHECKING:
    from conformance.spec import Spec


class FormValueError(ValueError):
    """A form or query string that cannot be the type the schema declares."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def schema_type(schema: dict[str, Any]) -> str | None:
    """The one non-null type a schema declares (itself or a branch of its anyOf/oneOf), if any."""
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if declared is None:
        for key in ("anyOf", "oneOf"):
            for part in schema.get(key) or []:
                if isinstance(part, dict) and part.get("type") not in (None, "null"):
                    return part["type"] if isinstance(part["type"], str) else None
    return declared


def coerce(spec: Spec, schema: Any, values: list[str], name: str, strict: bool = True) -> Any:
    """Query/form strings to the schema's type; the last value wins unless an array is declared."""
    schema = spec.resolve(schema) or {}
    kind = schema_type(schema)
    if kind == "array":
        items = spec.resolve(schema.get("items")) or {}
        return [scalar(schema_type(items), v, name, strict) for v in values]
    return scalar(kind, values[-1], name, strict)


def scalar(kind: str | None, value: Any, name: str, strict: bool = True) -> Any:
    """One string as `kind`; one that cannot convert raises `FormValueError`, or stays when not strict."""
    if not isinstance(value, str):
        return value
    try:
        return _scalar(kind, value, name)
    except FormValueError:
        if strict:
            raise
        return value


def _scalar(kind: str | None, value: str, name: str) -> Any:
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
    except ValueError:
        expected = "an integer" if kind == "integer" else "a number"
        raise FormValueError(
            f"Invalid value for '{name}': expected {expected}, but got a string instead.", name
        ) from None
    if kind == "boolean":
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise FormValueError(f"Invalid value for '{name}': expected a boolean.", name)
    return value


def form_fields(
    spec: Spec, schema: Any, items: Iterable[tuple[str, str]], strict: bool = True
) -> dict[str, Any]:
    """Form fields (name, text) in order to typed values, per the body schema's property types."""
    props = schema_properties(spec.document, schema)
    grouped: dict[str, list[str]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(str(value))
    body: dict[str, Any] = {}
    for key, values in grouped.items():
        name = key[:-2] if key.endswith("[]") and key not in props else key
        prop = spec.resolve(props.get(name)) or {}
        array = array_branch(spec, prop)
        if key.endswith("[]") and (array is not None or not prop):
            # `name[]` repeated: one item per field; object items travel as JSON text (as the SDK sends)
            item_schema = spec.resolve((array or {}).get("items")) or {}
            body[name] = [_form_item(item_schema, value, name, strict) for value in values]
            continue
        if array is not None and len(values) == 1 and values[0][:1] == "[":
            try:  # a whole array as JSON text (`include=["logprobs"]`)
                decoded = json.loads(values[0])
            except ValueError:
                decoded = None
            if isinstance(decoded, list):
                body[name] = decoded
                continue
        if array is not None and array is prop and len(values) == 1:
            # one plain field where only an array fits: a string, not a list (arrays come as `name[]`)
            body[name] = values[0]
            continue
        if values[-1] == "" and _empty_is_null(spec, prop):
            body[name] = None  # a form cannot say null: an empty nullable non-text field is null
            continue
        kind = schema_type(prop)
        if kind == "object" or (kind is None and values[-1][:1] in ("{", "[")):
            try:
                body[name] = json.loads(values[-1])
                continue
            except ValueError:
                pass
        body[name] = coerce(spec, prop, values, name, strict) if prop else values[-1]
    return body


def array_branch(spec: Spec, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The array schema a property allows (itself, or a branch of its anyOf/oneOf), if any."""
    if schema_type(schema) == "array" or schema.get("type") == "array":
        return schema
    for key in ("anyOf", "oneOf"):
        for part in schema.get(key) or []:
            part = spec.resolve(part)
            found = array_branch(spec, part) if isinstance(part, dict) else None
            if found is not None:
                return found
    return None


def _empty_is_null(spec: Spec, schema: dict[str, Any]) -> bool:
    """Whether an empty form field means null: the property allows null, and "" is no value of it."""
    branches = [spec.resolve(b) or {} for b in (schema.get("anyOf") or schema.get("oneOf") or [schema])]

    def types(branch: dict[str, Any]) -> set[str]:
        declared = branch.get("type")
        return set(declared) if isinstance(declared, list) else {declared} if declared else set()

    if not any("null" in types(b) for b in branches):
        return False
    return not any("string" in types(b) and not b.get("enum") for b in branches)


def _form_item(items: dict[str, Any], value: str, name: str, strict: bool) -> Any:
    kind = schema_type(items)
    if kind in ("object", "array", None) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return scalar(kind, value, name, strict)
