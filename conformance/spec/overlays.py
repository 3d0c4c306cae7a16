"""Contract overlays from the packaged `spec/overlays/` folder, applied at load."""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from conformance.spec.data import data_file
from conformance.spec.normalize import HTTP_METHODS
from conformance.spec.refs import schema_properties

OVERLAY_KEY = "x-conformance-overlay"


@dataclass(frozen=True)
class Overlay:
    name: str
    description: str
    data: dict[str, Any]


@cache
def packaged_overlays() -> tuple[Overlay, ...]:
    folder = data_file("overlays")
    overlays = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            overlays.append(Overlay(data["name"], " ".join(data.get("description", "").split()), data))
    return tuple(overlays)


def overlays_digest() -> str:
    digest = hashlib.sha256()
    for overlay in packaged_overlays():
        digest.update(repr(overlay.data).encode())
    return digest.hexdigest()[:16]


def apply_overlays(document: dict[str, Any], overlays: tuple[Overlay, ...] | None = None) -> list[str]:
    """Apply each overlay in place. Returns the entries skipped because the spec lacks their target
    (a schema, or a field an older spec does not have), as `overlay: Schema.key (why)` lines."""
    skipped: list[str] = []
    for overlay in packaged_overlays() if overlays is None else overlays:
        skipped += _apply(document, overlay)
    return skipped


def _apply(document: dict[str, Any], overlay: Overlay) -> list[str]:
    skipped = []
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in (overlay.data.get("components", {}).get("schemas") or {}).items():
        schemas.setdefault(name, copy.deepcopy(schema))
    for name, patch in (overlay.data.get("schemas") or {}).items():
        if not isinstance(schemas.get(name), dict):
            skipped.append(f"{overlay.name}: {name} (the spec has no such schema)")
            continue
        fields = set(schema_properties(document, schemas[name]))
        for key, entry in patch.items():
            if key == "properties":
                entry = {prop: sub for prop, sub in entry.items() if prop in fields}
                skipped += [
                    f"{overlay.name}: {name}.properties.{prop} (the spec's {name} has no `{prop}`)"
                    for prop in patch[key]
                    if prop not in entry
                ]
            else:
                missing = sorted(_named_fields(entry) - fields)
                if missing:
                    shown = ", ".join(f"`{m}`" for m in missing)
                    skipped.append(f"{overlay.name}: {name}.{key} (the spec's {name} has no {shown})")
                    continue
            _add_absent(schemas[name], {key: entry})
    if overlay.data.get("query_parameters"):
        _patch_query_parameters(document, overlay.data["query_parameters"])
    extra = overlay.data.get("responses")
    if not extra:
        return skipped
    template = dict(extra["response"], **{OVERLAY_KEY: overlay.name})
    for item in (document.get("paths") or {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status in extra["statuses"]:
                if status not in responses and not _covered(responses, status):
                    responses[status] = template
    return skipped


def _named_fields(entry: Any) -> set[str]:
    """The fields of the patched object an entry names (in `properties` and `required`), through the
    combinators that apply at the same level (`allOf`, `oneOf`, `not`, `if`/`then`, ...)."""
    if isinstance(entry, list):
        return set().union(*(_named_fields(item) for item in entry)) if entry else set()
    if not isinstance(entry, dict):
        return set()
    names = set(entry.get("properties") or {}) | {
        r for r in entry.get("required") or [] if isinstance(r, str)
    }
    for key in ("allOf", "anyOf", "oneOf", "not", "if", "then", "else"):
        if key in entry:
            names |= _named_fields(entry[key])
    return names


def _covered(responses: dict[str, Any], status: str) -> bool:
    """A `5XX` overlay is covered by any declared 5xx, and `500` by a declared `5XX`."""
    if status.endswith("XX"):
        return any(str(code).startswith(status[0]) for code in responses)
    return f"{status[0]}XX" in responses


def _add_absent(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Add what `target` lacks: keys it does not have, list items it does not hold (recursively)."""
    for key, value in patch.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _add_absent(target[key], value)
        elif isinstance(target[key], list) and isinstance(value, list):
            target[key].extend(copy.deepcopy(v) for v in value if v not in target[key])


_RANGE = re.compile(r"between\s+([\d,]+)\s+and\s+([\d,]+)", re.IGNORECASE)


def _patch_query_parameters(document: dict[str, Any], rules: dict[str, Any]) -> None:
    """Apply per-name rules to every query parameter, inline or under components."""
    candidates = list(((document.get("components") or {}).get("parameters") or {}).values())
    for item in (document.get("paths") or {}).values():
        candidates += item.get("parameters") or []
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                candidates += item[method].get("parameters") or []
    for param in candidates:
        rule = rules.get(str(param.get("name"))) if isinstance(param, dict) else None
        if rule is None or param.get("in") != "query" or not isinstance(param.get("schema"), dict):
            continue
        schema = param["schema"]
        if "$ref" in schema:
            continue  # a shared schema: patch it under `schemas` instead
        if rule.get("range_from_description") and "minimum" not in schema and "maximum" not in schema:
            description = param.get("description") or schema.get("description") or ""
            match = _RANGE.search(description)
            if match:
                schema["minimum"], schema["maximum"] = (int(g.replace(",", "")) for g in match.groups())
        _add_absent(schema, rule.get("schema") or {})
