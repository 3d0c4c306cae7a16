"""Local JSON-reference resolution inside one OpenAPI document."""

from __future__ import annotations

from typing import Any

# Mappings whose keys are names, not keywords: a property called `default`, `type` or `description`
# is a schema, not the `default`, `type` or `description` keyword.
NAME_MAPS = frozenset(
    {"properties", "patternProperties", "dependentSchemas", "$defs", "definitions", "paths"}
)


def holds_names(key: str, pointer: str) -> bool:
    """Whether the value at `pointer/key` (a keyword's value) maps names to schemas or objects; the
    children of `components` (`schemas`, `parameters`, ...) do too."""
    return key in NAME_MAPS or pointer.endswith("/components") or pointer == "#/components"


def pointer_get(document: dict[str, Any], ref: str) -> Any:
    """The value at a local `#/...` reference; KeyError when it does not resolve."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node: Any = document
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def deref(document: dict[str, Any], node: Any, limit: int = 64) -> Any:
    """Follow `$ref` until the node is not a bare reference."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and limit:
        node = pointer_get(document, node["$ref"])
        limit -= 1
    return node


def schema_properties(doc: dict[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """The properties of a schema, merged through `$ref` and `allOf`."""
    schema = deref(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return {}
    props = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        props.update(schema_properties(doc, part, depth + 1))
    return props
