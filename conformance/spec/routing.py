"""Map a method and concrete path to the spec operation it names, with path parameters.

One router serves the emulator (dispatch) and the checks (recorded traffic without an operation id).

Literal segments win over templated ones (`/threads/runs` over `/threads/{thread_id}`), and an
operation whose spec path carried a query (`?beta=true`) wins only when the request has that query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from conformance.spec.index import Operation

_PARAM = re.compile(r"^\{([^}]+)\}$")


@dataclass(frozen=True)
class _Route:
    operation: Operation
    segments: tuple[str | None, ...]  # literal text, or None for a parameter
    names: tuple[str, ...]  # parameter names, in order

    def match(self, parts: list[str]) -> dict[str, str] | None:
        values = []
        for expected, actual in zip(self.segments, parts, strict=True):
            if expected is None:
                if not actual:
                    return None
                values.append(actual)
            elif expected != actual:
                return None
        return dict(zip(self.names, values, strict=True))


class Router:
    def __init__(self, operations: list[Operation]) -> None:
        self._routes: dict[int, list[_Route]] = {}
        for operation in operations:
            segments: list[str | None] = []
            names: list[str] = []
            for part in operation.path.strip("/").split("/"):
                param = _PARAM.match(part)
                segments.append(None if param else part)
                if param:
                    names.append(param.group(1))
            route = _Route(operation, tuple(segments), tuple(names))
            self._routes.setdefault(len(segments), []).append(route)
        for routes in self._routes.values():
            # literal-first, left to right; operations with an extra query first among equals
            routes.sort(key=lambda r: ([s is None for s in r.segments], not r.operation.extra_query))

    def match(
        self, method: str, path: str, query: Mapping[str, str]
    ) -> tuple[Operation | None, dict[str, str], list[str]]:
        """(operation, path params, allowed methods); operation None means 404 (no allowed
        methods) or 405 (the path exists for other methods)."""
        parts = path.strip("/").split("/")
        allowed: list[str] = []
        for route in self._routes.get(len(parts), []):
            params = route.match(parts)
            if params is None:
                continue
            op = route.operation
            if op.extra_query and any(query.get(k) != v for k, v in op.extra_query.items()):
                continue
            if op.method == method:
                return op, params, []
            if op.method not in allowed:
                allowed.append(op.method)
        return None, {}, allowed
