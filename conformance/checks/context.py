"""What a check sees besides the exchange: the spec, its validators, the config, the contract tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from conformance.checks.model import CheckConfig
from conformance.checks.validation import Validators, validators
from conformance.exchange import Exchange
from conformance.spec import Operation, Spec


@cache
def table(name: str) -> dict[str, Any]:
    """A contract table shipped in the `spec` data package, e.g. `error_types.yaml`."""
    return yaml.safe_load((files("spec") / name).read_text(encoding="utf-8")) or {}


@dataclass
class Context:
    spec: Spec
    config: CheckConfig
    validators: Validators

    def operation(self, exchange: Exchange) -> Operation | None:
        """The operation an exchange exercised: by id, else by method and path (recorded traffic)."""
        request = exchange.request
        if request.operation_id:
            op = self.spec.by_id.get(request.operation_id)
            if op is not None:
                return op
        return match_operation(self.spec, request.method, request.path)

    @classmethod
    def of(cls, spec: Spec, config: CheckConfig | None = None) -> Context:
        return cls(spec, config or CheckConfig(), validators(spec))


_matchers: dict[int, tuple[Spec, list[tuple[re.Pattern[str], int, Operation]]]] = {}


def match_operation(spec: Spec, method: str, path: str) -> Operation | None:
    """Map a concrete request to its operation; literal segments win over `{param}` ones."""
    cached = _matchers.get(id(spec))
    routes = cached[1] if cached is not None and cached[0] is spec else None
    if routes is None:
        routes = []
        for op in spec.operations:
            template = op.path.split("?")[0]
            pattern = "".join(
                "[^/]+" if part.startswith("{") else re.escape(part)
                for part in re.split(r"(\{[^}]+\})", template)
            )
            routes.append((re.compile(pattern + "/?"), template.count("{"), op))
        routes.sort(key=lambda r: r[1])
        _matchers[id(spec)] = (spec, routes)
    path = path.split("?")[0]
    if path.startswith("/v1/"):
        path = path[3:]
    for pattern, _, op in routes:
        if op.method == method.upper() and pattern.fullmatch(path):
            return op
    return None
