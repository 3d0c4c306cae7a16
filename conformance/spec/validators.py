"""The compiled JSON Schema validators of one loaded spec: the one validation stack.

Checks, strategies and the emulator all validate through `spec.validators`. The document has
~1,000 component schemas, so nothing compiles up front: the document is registered once as the
resource `urn:openai-conformance:spec` and each schema node compiles on first use (1-20 ms for the
big ones), then stays. Formats are annotations (draft 2020-12's default), as the API treats them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    from conformance.spec import Operation, Spec

BASE_URI = "urn:openai-conformance:spec"
_MAX_ALIASES = 50_000  # id() shortcuts kept for nodes; beyond it, lookups go by content only


def absolute_refs(node: Any) -> Any:
    """A copy of `node` whose local `#/...` refs point into the registered document."""
    if isinstance(node, dict):
        return {
            key: (
                BASE_URI + value
                if key == "$ref" and isinstance(value, str) and value.startswith("#")
                else absolute_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [absolute_refs(item) for item in node]
    return node


class Validators:
    """Every validator of one spec, compiled once. Thread-safe."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._registry: jsonschema_rs.Registry | None = None
        self._by_content: dict[str, jsonschema_rs.Validator] = {}
        # id(node) -> (node, validator): the node is held so its id is never reused while cached
        self._by_id: dict[int, tuple[Any, jsonschema_rs.Validator]] = {}
        self._lock = threading.RLock()
        self.compiled = 0  # how many validators were built: the benchmark and tests read it

    @property
    def registry(self) -> jsonschema_rs.Registry:
        if self._registry is None:
            with self._lock:
                if self._registry is None:
                    self._registry = jsonschema_rs.Registry(
                        [(BASE_URI, self.spec.document)], draft=jsonschema_rs.Draft202012
                    )
        return self._registry

    def compile(self, node: Any) -> jsonschema_rs.Validator:
        """The validator of any schema node of the document (its local refs resolve in the spec)."""
        found = self._by_id.get(id(node))
        if found is not None and found[0] is node:
            return found[1]
        key = _content_key(node)
        with self._lock:
            validator = self._by_content.get(key)
            if validator is None:
                schema = node if isinstance(node, bool) else absolute_refs(node)
                validator = jsonschema_rs.Draft202012Validator(
                    schema, registry=self.registry, validate_formats=False
                )
                self._by_content[key] = validator
                self.compiled += 1
            if len(self._by_id) < _MAX_ALIASES:
                self._by_id[id(node)] = (node, validator)
        return validator

    def for_response(
        self, operation: Operation, status: str, media_type: str
    ) -> jsonschema_rs.Validator | None:
        """The validator of a declared response body; None when the spec gives no schema for it."""
        response = operation.responses.get(status)
        schema = response.content.get(media_type) if response else None
        return None if schema is None else self.compile(schema)

    def is_valid(self, node: Any, instance: Any) -> bool:
        return self.compile(node).is_valid(instance)

    def iter_errors(self, node: Any, instance: Any) -> Iterator[jsonschema_rs.ValidationError]:
        return self.compile(node).iter_errors(instance)

    def first_error(self, node: Any, instance: Any) -> jsonschema_rs.ValidationError | None:
        return next(iter(self.iter_errors(node, instance)), None)


def _content_key(node: Any) -> str:
    if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("$ref"), str):
        return node["$ref"]
    return json.dumps(node, sort_keys=True, default=str)
