"""Fixes, in one place, for the defects of real OpenAI specs that break generic tools.

Each fix is counted so that `spec info --verbose` can list what was changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from conformance.spec.refs import deref, holds_names

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keys whose values are data, not schemas: never rewrite inside them.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "x-oaiMeta"})
_MAX_WHERE = 5


@dataclass
class Normalisation:
    name: str
    description: str
    count: int = 0
    where: list[str] = field(default_factory=list)

    def hit(self, pointer: str) -> None:
        self.count += 1
        if len(self.where) < _MAX_WHERE:
            self.where.append(pointer)


class _Fixes:
    def __init__(self) -> None:
        self.openapi30 = Normalisation(
            "openapi-3.0-upgrade",
            "OpenAPI 3.0 document read as 3.1 (schemas converted to JSON Schema 2020-12)",
        )
        self.nullable = Normalisation("nullable", "3.0-style `nullable: true` turned into a `null` type")
        self.exclusive = Normalisation(
            "boolean-exclusive-bounds", "boolean exclusiveMinimum/exclusiveMaximum turned into numeric bounds"
        )
        self.required = Normalisation("duplicate-required", "duplicate entries removed from `required`")
        self.query_paths = Normalisation(
            "query-in-path-key",
            "path keys carrying a query string (`?beta=true`) moved to plain paths; a variant whose plain path"
            " already has that method is the same endpoint and is dropped",
        )
        self.body_required = Normalisation(
            "optional-body-with-required-fields",
            "a request body the spec leaves optional although every media type's schema requires fields"
            " is marked required",
        )
        self.discriminator = Normalisation(
            "discriminator-mapping",
            "discriminators without a mapping given one (or dropped if none derivable)",
        )
        self.path_params = Normalisation(
            "path-parameter-name",
            "a path parameter named unlike the one placeholder of its path template left unmatched"
            " (`cert_id` for `{certificate_id}`) renamed to the placeholder",
        )

        self.text_refs = Normalisation(
            "reference-as-text",
            "a `description`, `title` or `summary` given as a `$ref` (Azure's `includable/description`)"
            " replaced by the text it points at (dropped when that is not text)",
        )

    def all(self) -> list[Normalisation]:
        return [
            self.openapi30,
            self.nullable,
            self.exclusive,
            self.required,
            self.query_paths,
            self.body_required,
            self.discriminator,
            self.path_params,
            self.text_refs,
        ]


def normalize(document: dict[str, Any]) -> list[Normalisation]:
    """Fix `document` in place. Returns the fixes applied."""
    fixes = _Fixes()
    if str(document.get("openapi", "")).startswith("3.0"):
        fixes.openapi30.hit("#/openapi")
        document["openapi"] = "3.1.0"
    _move_query_paths(document, fixes.query_paths)
    _require_bodies(document, fixes.body_required)
    _match_path_params(document, fixes.path_params)
    discriminators: list[tuple[dict[str, Any], str]] = []
    _walk(document, "#", fixes, discriminators)
    _text_refs(document, document, "#", fixes.text_refs)
    for node, pointer in discriminators:
        _map_discriminator(document, node, pointer, fixes.discriminator)
    return [fix for fix in fixes.all() if fix.count]


def _walk(node: Any, pointer: str, fixes: _Fixes, discriminators: list, names: bool = False) -> None:
    """Fix every schema below `node`; `names` means `node` maps names to schemas (`properties`), so its
    keys are never read as keywords."""
    if isinstance(node, dict) and names:
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                _walk(value, f"{pointer}/{_escape(key)}", fixes, discriminators)
    elif isinstance(node, dict):
        if node.get("nullable") is True or node.get("nullable") is False:
            _fix_nullable(node, pointer, fixes.nullable)
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(node.get(key), bool):
                _fix_exclusive(node, key, pointer, fixes.exclusive)
        required = node.get("required")
        if isinstance(required, list) and len(set(map(str, required))) != len(required):
            node["required"] = list(dict.fromkeys(required))
            fixes.required.hit(pointer)
        disc = node.get("discriminator")
        if isinstance(disc, dict) and "propertyName" in disc and not disc.get("mapping"):
            discriminators.append((node, pointer))
        for key, value in node.items():
            if key in _DATA_KEYS or not isinstance(value, (dict, list)):
                continue
            _walk(value, f"{pointer}/{_escape(key)}", fixes, discriminators, holds_names(key, pointer))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, (dict, list)):
                _walk(item, f"{pointer}/{i}", fixes, discriminators)


def _fix_nullable(node: dict[str, Any], pointer: str, fix: Normalisation) -> None:
    if not node.pop("nullable"):
        return
    fix.hit(pointer)
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
    elif isinstance(kind, list):
        if "null" not in kind:
            kind.append("null")
    else:
        inner = {k: v for k, v in node.items() if k not in ("description", "title", "default")}
        for key in inner:
            del node[key]
        node["anyOf"] = [inner, {"type": "null"}]
        return
    if isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"].append(None)


def _fix_exclusive(node: dict[str, Any], key: str, pointer: str, fix: Normalisation) -> None:
    fix.hit(f"{pointer}/{key}")
    bound = "minimum" if key == "exclusiveMinimum" else "maximum"
    if node.pop(key) and bound in node:
        node[key] = node.pop(bound)


def _move_query_paths(document: dict[str, Any], fix: Normalisation) -> None:
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return
    for key in [k for k in paths if "?" in k]:
        plain, _, query = key.partition("?")
        item = paths.pop(key)
        fix.hit(f"#/paths/{key.replace('/', '~1')}")
        target = paths.setdefault(plain, {})
        for method, operation in item.items():
            if method in target:
                continue  # the plain path already has this operation
            if method in HTTP_METHODS and isinstance(operation, dict):
                operation.setdefault("x-conformance-query", dict(parse_qsl(query)))
            target[method] = operation


def _map_discriminator(
    document: dict[str, Any], node: dict[str, Any], pointer: str, fix: Normalisation
) -> None:
    disc = node["discriminator"]
    prop = disc["propertyName"]
    mapping: dict[str, str] = {}
    for variant in node.get("oneOf") or node.get("anyOf") or []:
        ref = variant.get("$ref") if isinstance(variant, dict) else None
        try:
            schema = deref(document, variant)
        except (KeyError, IndexError, ValueError):
            schema = None
        values = _discriminator_values(document, schema, prop) if ref and isinstance(schema, dict) else None
        if not values or not isinstance(ref, str):
            mapping = {}
            break
        for value in values:
            mapping[value] = ref
    fix.hit(pointer)
    if mapping:
        disc["mapping"] = mapping
    else:
        del node["discriminator"]


def _discriminator_values(document: dict[str, Any], schema: dict[str, Any], prop: str) -> list[str]:
    for part in [schema, *schema.get("allOf", [])]:
        part = deref(document, part)
        target = deref(document, (part.get("properties") or {}).get(prop))
        if isinstance(target, dict):
            if isinstance(target.get("const"), str):
                return [target["const"]]
            enum = target.get("enum")
            if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
                return list(enum)
    return []


def _require_bodies(document: dict[str, Any], fix: Normalisation) -> None:
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            body = deref(document, operation.get("requestBody")) if isinstance(operation, dict) else None
            if not isinstance(body, dict) or body.get("required") or not body.get("content"):
                continue
            schemas = [deref(document, (media or {}).get("schema")) for media in body["content"].values()]
            if all(_requires_fields(document, schema) for schema in schemas):
                body["required"] = True
                fix.hit(f"#/paths/{path.replace('/', '~1')}/{method}/requestBody")


def _requires_fields(document: dict[str, Any], schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    parts = [schema, *(deref(document, part) for part in schema.get("allOf") or [])]
    return any(isinstance(part, dict) and part.get("required") for part in parts)


def _match_path_params(document: dict[str, Any], fix: Normalisation) -> None:
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        placeholders = set(re.findall(r"\{([^}]+)\}", path))
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            params = [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
            declared = {}
            for param in params:
                resolved = deref(document, param)
                if isinstance(resolved, dict) and resolved.get("in") == "path":
                    declared[resolved.get("name")] = param
            missing, extra = placeholders - set(declared), set(declared) - placeholders
            if len(missing) != 1 or len(extra) != 1:
                continue
            old = declared[extra.pop()]
            renamed = {**deref(document, old), "name": missing.pop()}
            holder = operation if old in (operation.get("parameters") or []) else item
            holder["parameters"] = [renamed if p is old else p for p in holder["parameters"]]
            fix.hit(f"#/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}/parameters")


_TEXT_KEYS = ("description", "title", "summary")


def _text_refs(
    document: dict[str, Any], node: Any, pointer: str, fix: Normalisation, names: bool = False
) -> None:
    """Text keywords that hold a `{$ref}` instead of a string: schema tools refuse them. A property
    named `description` (`names`: `node` maps names to schemas) is a schema, left as it is."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _text_refs(document, item, f"{pointer}/{i}", fix)
        return
    if not isinstance(node, dict):
        return
    if names:
        for key, value in node.items():
            _text_refs(document, value, f"{pointer}/{_escape(key)}", fix)
        return
    for key in _TEXT_KEYS:
        value = node.get(key)
        if isinstance(value, dict) and isinstance(value.get("$ref"), str) and set(value) == {"$ref"}:
            try:
                text = deref(document, value)
            except (KeyError, IndexError, ValueError, TypeError):
                text = None
            if isinstance(text, str):
                node[key] = text
            else:
                del node[key]
            fix.hit(f"{pointer}/{key}")
    for key, value in node.items():
        if key not in _DATA_KEYS and isinstance(value, (dict, list)):
            _text_refs(document, value, f"{pointer}/{_escape(key)}", fix, holds_names(key, pointer))


def _escape(key: str) -> str:
    """A key as a JSON-pointer segment."""
    return key.replace("~", "~0").replace("/", "~1")
