"""Explicit nulls: valid requests that set the body properties the spec lets be `null` to `null`.

A client that sends `"temperature": null` (the SDKs do, for a field the caller left unset) must be
accepted when the spec allows it: OpenAPI 3.0 `nullable: true` (normalised to a `null` type at load),
3.1 `type: [..., "null"]`, `const: null`, an enum holding null, or an `anyOf`/`oneOf` branch that is
one of those. Random generation rarely sends one (and never on purpose), so the positive phase sends
one such request per operation: every nullable property of the JSON body set to null (top level, and
inside nested objects the drawn body has), as many as still validate together; and, where the body has
nullable properties inside objects, a second one that nulls only those, its parents kept or made
(`reasoning: {"effort": null}`, which the first request cannot send when it nulls `reasoning`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance.exchange import JSON, Request
from conformance.spec import Operation, Spec, schema_properties
from conformance.strategies.validation import RequestValidator

Path = tuple[str, ...]  # a property path inside the body: ("tool_resources", "code_interpreter")
_DEPTH = 3  # how deep nested objects are searched for nullable properties
_SCHEMA_DEPTH = 8


def allows_null(spec: Spec, schema: Any, depth: int = 0) -> bool:
    """Whether a schema node accepts `null` (through `$ref`, `anyOf`/`oneOf` branches and `allOf`)."""
    node = spec.resolve(schema)
    if not isinstance(node, dict) or depth > _SCHEMA_DEPTH:
        return False
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return _all_of_allows(spec, node, depth)
    if "const" in node and node["const"] is None:
        return True
    if isinstance(node.get("enum"), list) and None in node["enum"]:
        return _all_of_allows(spec, node, depth)
    if any(allows_null(spec, branch, depth + 1) for key in _BRANCHES for branch in node.get(key) or []):
        return True
    return bool(node.get("allOf")) and "type" not in node and _all_of_allows(spec, node, depth)


_BRANCHES = ("anyOf", "oneOf")


def _all_of_allows(spec: Spec, node: dict[str, Any], depth: int) -> bool:
    return all(allows_null(spec, part, depth + 1) for part in node.get("allOf") or [])


def nullable_paths(spec: Spec, operation: Operation) -> list[Path]:
    """The JSON body's property paths whose schema allows null, parents before children."""
    schema = operation.request_bodies.get(JSON)
    if schema is None:
        return []
    found: list[Path] = []
    _collect(spec, schema, (), found)
    return found


def _collect(spec: Spec, schema: Any, prefix: Path, found: list[Path]) -> None:
    if len(prefix) >= _DEPTH:
        return
    for name, prop in schema_properties(spec.document, _object_branch(spec, schema)).items():
        path = (*prefix, name)
        if allows_null(spec, prop):
            found.append(path)
        _collect(spec, prop, path, found)


def _object_branch(spec: Spec, schema: Any) -> Any:
    """The one object schema of `X | null` (`anyOf: [X, {type: null}]`); the schema itself otherwise.
    A union of several objects is not searched: which branch a body takes is not cheap to tell."""
    node = spec.resolve(schema)
    if not isinstance(node, dict):
        return None
    for key in _BRANCHES:
        branches = [b for b in node.get(key) or [] if not _is_null(spec, b)]
        if node.get(key):
            return branches[0] if len(branches) == 1 else None
    return node


def _is_null(spec: Spec, schema: Any) -> bool:
    node = spec.resolve(schema)
    return isinstance(node, dict) and (node.get("type") == "null" or node.get("const", ...) is None)


def with_nulls(
    validator: RequestValidator,
    operation: Operation,
    request: Request,
    paths: list[Path],
    make_parents: bool = False,
) -> Request:
    """`request` with every path of `paths` set to null where the request still validates; the
    paths set are named in `Request.nulls` (dotted). A nested path needs its parent object: present
    in the body, or (`make_parents`) an empty object put where the parent is absent or null."""
    if request.media_type != JSON or not isinstance(request.body, dict) or not paths:
        return request
    body = _set_all(request.body, paths, make_parents)
    candidate = replace(request, body=body, nulls=tuple(".".join(p) for p in paths if _is_set(body, p)))
    if not validator.validate(operation, candidate, id_shapes=False):
        return candidate
    # Some nulls do not go together (or a nested null under a null parent): add them one at a time.
    body, chosen = request.body, []
    for path in paths:
        trial = _set_all(body, [path], make_parents)
        if not _is_set(trial, path):
            continue
        if not validator.validate(operation, replace(request, body=trial), id_shapes=False):
            body = trial
            chosen.append(".".join(path))
    return replace(request, body=body, nulls=tuple(chosen))


def _set_all(body: dict[str, Any], paths: list[Path], make_parents: bool = False) -> dict[str, Any]:
    """A copy of `body` with each path set to null; a path whose parent is no object is left out."""
    out = _copy(body)
    for path in paths:
        parent: Any = out
        for key in path[:-1]:
            if make_parents and isinstance(parent, dict) and parent.get(key) is None:
                parent[key] = {}
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent[path[-1]] = None
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _is_set(body: Any, path: Path) -> bool:
    for key in path[:-1]:
        body = body.get(key) if isinstance(body, dict) else None
    return isinstance(body, dict) and path[-1] in body and body[path[-1]] is None
