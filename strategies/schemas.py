"""The generation copy of a spec: the same schemas, narrowed to what the API documents in prose.

Everything here only narrows (adds `maxLength`, `maxProperties`, …), so a value drawn from the copy
still validates against the original. Validation always uses the original document.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from conformance.spec import Spec

# Prose that states a string limit: "The maximum length is 256 characters", "up to 512 characters".
_LENGTH_PROSE = re.compile(
    r"(?:maximum length (?:is|of)|max(?:imum)? of|up to|at most|no (?:longer|more) than)\s+([\d,]{1,9})\s+char",
    re.IGNORECASE,
)
# "Limit can range between 1 and 100", "The sampling temperature, between 0 and 1".
_RANGE_PROSE = re.compile(r"\bbetween (-?\d+(?:\.\d+)?) and (-?\d+(?:\.\d+)?)", re.IGNORECASE)
_METADATA_PROSE = re.compile(r"set of 16 key-value pairs", re.IGNORECASE)
METADATA_LIMITS = {"max_properties": 16, "key_length": 64, "value_length": 512}
_SCHEMA_CONTAINERS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")


@dataclass
class Narrowing:
    """What the generation copy changed, for `describe()` and the benchmark."""

    metadata_maps: int = 0
    documented_lengths: int = 0
    documented_ranges: int = 0
    security_removed: bool = False
    where: list[str] = field(default_factory=list)


def generation_document(spec: Spec) -> tuple[dict[str, Any], Narrowing]:
    """A copy of `spec.document` narrowed for generation, with auth schemes removed (the runner adds auth)."""
    document = json.loads(json.dumps(spec.document))
    narrowing = Narrowing()
    components = document.get("components") or {}
    if components.pop("securitySchemes", None) is not None or document.pop("security", None) is not None:
        narrowing.security_removed = True
    for path_item in (document.get("paths") or {}).values():
        if isinstance(path_item, dict):
            for operation in path_item.values():
                if isinstance(operation, dict):
                    operation.pop("security", None)
    _walk(components.get("schemas") or {}, "#/components/schemas", narrowing, container=True)
    _walk(components.get("parameters") or {}, "#/components/parameters", narrowing, container=False)
    _walk(document.get("paths") or {}, "#/paths", narrowing, container=False)
    return document, narrowing


def _walk(node: Any, pointer: str, narrowing: Narrowing, container: bool) -> None:
    """Visit every schema below `node`; `container` means `node` maps names to schemas."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{pointer}/{i}", narrowing, container=False)
        return
    if not isinstance(node, dict):
        return
    if container:
        for key, value in node.items():
            _narrow_and_walk(value, f"{pointer}/{key}", narrowing)
        return
    # Inside paths: find schemas under `schema` keys, skipping examples.
    if "in" in node and isinstance(node.get("schema"), dict) and isinstance(node.get("description"), str):
        _narrow_range(
            node["schema"], node["description"], pointer, narrowing
        )  # the prose is on the parameter
    for key, value in node.items():
        if key in ("example", "examples", "x-oaiMeta"):
            continue
        if key == "schema":
            _narrow_and_walk(value, f"{pointer}/schema", narrowing)
        elif isinstance(value, (dict, list)):
            _walk(value, f"{pointer}/{key}", narrowing, container=False)


def _narrow_and_walk(schema: Any, pointer: str, narrowing: Narrowing) -> None:
    if not isinstance(schema, dict):
        return
    _narrow(schema, pointer, narrowing)
    for key in _SCHEMA_CONTAINERS:
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                _narrow_and_walk(sub, f"{pointer}/{key}/{name}", narrowing)
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                _narrow_and_walk(sub, f"{pointer}/{key}/{i}", narrowing)
    for key in _SCHEMA_VALUES:
        if isinstance(schema.get(key), dict):
            _narrow_and_walk(schema[key], f"{pointer}/{key}", narrowing)


def _narrow(schema: dict[str, Any], pointer: str, narrowing: Narrowing) -> None:
    description = schema.get("description")
    if not isinstance(description, str):
        return
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "object" in types and _METADATA_PROSE.search(description):
        values = schema.get("additionalProperties", True)
        if values is True or values == {}:  # older specs leave the values open; the docs say strings
            values = {"type": "string"}
        if isinstance(values, dict) and values.get("type") == "string":
            schema["additionalProperties"] = {**values, "maxLength": METADATA_LIMITS["value_length"]}
            schema["propertyNames"] = {"maxLength": METADATA_LIMITS["key_length"]}
            schema["maxProperties"] = min(schema.get("maxProperties", 16), METADATA_LIMITS["max_properties"])
            narrowing.metadata_maps += 1
            narrowing.where.append(pointer)
        return
    if "integer" in types or "number" in types:
        _narrow_range(schema, description, pointer, narrowing)
        return
    if "string" in types and "maxLength" not in schema and "enum" not in schema:
        match = _LENGTH_PROSE.search(description)
        if match:
            limit = int(match.group(1).replace(",", ""))
            if limit >= max(1, int(schema.get("minLength", 0))):
                schema["maxLength"] = limit
                narrowing.documented_lengths += 1
                narrowing.where.append(pointer)


def _narrow_range(schema: dict[str, Any], description: str, pointer: str, narrowing: Narrowing) -> None:
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if not ({"integer", "number"} & set(types)) or "minimum" in schema or "maximum" in schema:
        return
    if "exclusiveMinimum" in schema or "exclusiveMaximum" in schema:
        return
    match = _RANGE_PROSE.search(description)
    if not match:
        return
    low, high = (float(v) for v in match.groups())
    if low >= high:
        return
    schema["minimum"], schema["maximum"] = _number(low), _number(high)
    narrowing.documented_ranges += 1
    narrowing.where.append(pointer)


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() else value
