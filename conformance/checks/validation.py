"""Compiled JSON Schema validators over one spec, built lazily and cached.

The document has ~1,000 component schemas, so nothing is compiled up front: the components are
registered once (about 25 ms) as the resource `urn:openai-conformance:spec`, and each schema node is
compiled on first use (1-20 ms for the big ones) then kept per (operation, status, media type) or per
node. Validation itself runs in jsonschema-rs.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from conformance.checks.model import excerpt, json_path
from conformance.spec import Operation, Spec

BASE_URI = "urn:openai-conformance:spec"
MESSAGE_CHARS = 240


@dataclass(frozen=True)
class SchemaError:
    """One reason an instance does not match: where, why, and what was there."""

    path: str  # JSON path into the instance
    message: str
    schema_path: str
    instance: Any


def _rewrite_refs(node: Any) -> Any:
    """A copy of `node` whose local `#/...` refs point into the registered components resource."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                out[key] = BASE_URI + value
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


class Validators:
    """The validator cache of one spec. Thread-safe; compile errors surface as one SchemaError."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._registry: jsonschema_rs.Registry | None = None
        self._by_key: dict[Any, jsonschema_rs.Validator] = {}
        self._lock = threading.Lock()
        self.compiled = 0  # how many validators were built: the benchmark and tests read it

    @property
    def registry(self) -> jsonschema_rs.Registry:
        if self._registry is None:
            resource = {"components": self.spec.document.get("components") or {}}
            self._registry = jsonschema_rs.Registry([(BASE_URI, resource)], draft=jsonschema_rs.Draft202012)
        return self._registry

    def compile(self, node: Any) -> jsonschema_rs.Validator:
        """A validator for any schema node of the document (refs resolve against its components)."""
        key = self._key(node)
        validator = self._by_key.get(key)
        if validator is None:
            with self._lock:
                validator = self._by_key.get(key)
                if validator is None:
                    schema = node if isinstance(node, bool) else _rewrite_refs(node)
                    validator = jsonschema_rs.Draft202012Validator(schema, registry=self.registry)
                    self._by_key[key] = validator
                    self.compiled += 1
        return validator

    def for_response(
        self, operation: Operation, status: str, media_type: str
    ) -> jsonschema_rs.Validator | None:
        """The validator of a declared response body; None when the spec gives no schema for it."""
        response = operation.responses.get(status)
        schema = response.content.get(media_type) if response else None
        if schema is None:
            return None
        key = ("response", operation.id, status, media_type)
        validator = self._by_key.get(key)
        if validator is None:
            validator = self.compile(schema)
            self._by_key[key] = validator
        return validator

    def errors(self, node: Any, instance: Any, limit: int = 20) -> list[SchemaError]:
        """Why `instance` does not match `node` (empty when it does)."""
        return errors_of(self.compile(node), instance, limit)

    def is_valid(self, node: Any, instance: Any) -> bool:
        return self.compile(node).is_valid(instance)

    @staticmethod
    def _key(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("$ref"), str):
            return node["$ref"]
        return json.dumps(node, sort_keys=True, default=str)


def errors_of(validator: jsonschema_rs.Validator, instance: Any, limit: int = 20) -> list[SchemaError]:
    """The reasons, most specific first: a failed tagged union reports the errors of its one branch."""
    if validator.is_valid(instance):
        return []
    out = []
    for error in validator.iter_errors(instance):
        for leaf in _refine(error, 0):
            message = " ".join(str(leaf.message).split())
            if len(message) > MESSAGE_CHARS:
                message = message[: MESSAGE_CHARS - 1] + "…"
            out.append(
                SchemaError(
                    path=json_path(leaf.instance_path),
                    message=message,
                    schema_path=_schema_location(leaf),
                    instance=leaf.instance,
                )
            )
            if len(out) >= limit:
                return out
    return out


TAGS = ("type", "object", "role", "event")  # properties that select a branch of a union


def _refine(error: Any, depth: int) -> list[Any]:
    """For oneOf/anyOf failures, the errors of the branch whose tag (`type`, `object`, ...) matched.

    "X is not valid under any of the given schemas" tells a user nothing; the branch whose
    discriminating constant fits says which field is actually wrong.
    """
    kind = error.kind
    context = getattr(kind, "context", None)
    if depth > 8 or type(kind).__name__ not in ("OneOfNotValid", "AnyOf") or not context:
        return [error]
    base = len(error.instance_path)

    def tag_mismatch(branch: list[Any]) -> bool:
        return any(
            len(e.instance_path) == base + 1
            and e.instance_path[-1] in TAGS
            and type(e.kind).__name__ in ("Enum", "Constant")
            for e in branch
        )

    candidates = [branch for branch in context if branch and not tag_mismatch(branch)]
    if len(candidates) != 1 or len(candidates) == len(context):
        return [error]
    return [leaf for e in candidates[0] for leaf in _refine(e, depth + 1)]


def _schema_location(error: Any) -> str:
    location = str(getattr(error, "absolute_keyword_location", "") or "")
    if location.startswith(BASE_URI + "#"):
        return location[len(BASE_URI) + 1 :]
    return "/".join(str(p) for p in error.schema_path)


_caches: dict[int, tuple[weakref.ref, Validators]] = {}
_caches_lock = threading.Lock()


def validators(spec: Spec) -> Validators:
    """The shared validator cache of `spec` (one per loaded spec object)."""
    entry = _caches.get(id(spec))
    if entry is not None and entry[0]() is spec:
        return entry[1]
    with _caches_lock:
        cache, key = Validators(spec), id(spec)
        _caches[key] = (weakref.ref(spec, lambda _ref: _caches.pop(key, None)), cache)
        return cache


def validate(spec: Spec, node: Any, instance: Any, limit: int = 20) -> list[SchemaError]:
    """Validate `instance` against any schema node of `spec` (e.g. `{"$ref": "#/components/schemas/X"}`)."""
    return validators(spec).errors(node, instance, limit)


__all__ = ["SchemaError", "Validators", "errors_of", "excerpt", "validate", "validators"]
