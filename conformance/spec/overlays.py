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


def apply_overlays(document: dict[str, Any], overlays: tuple[Overlay, ...] | None = None) -> list[Overlay]:
    """Apply each overlay in place; returns those applied."""
    applied = []
    for overlay in packaged_overlays() if overlays is None else overlays:
        _apply(document, overlay)
        applied.append(overlay)
    return applied


def _apply(document: dict[str, Any], overlay: Overlay) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in (overlay.data.get("components", {}).get("schemas") or {}).items():
        schemas.setdefault(name, copy.deepcopy(schema))
    for name, patch in (overlay.data.get("schemas") or {}).items():
        if isinstance(schemas.get(name), dict):
            _add_absent(schemas[name], patch)
    if overlay.data.get("query_parameters"):
        _patch_query_parameters(document, overlay.data["query_parameters"])
    extra = overlay.data.get("responses")
    if not extra:
        return
    template = dict(extra["response"], **{OVERLAY_KEY: overlay.name})
    for item in (document.get("paths") or {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status in extra["statuses"]:
                if status not in responses and not _covered(responses, status):
                    responses[status] = template


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
        rule = rules.get(param.get("name")) if isinstance(param, dict) else None
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
