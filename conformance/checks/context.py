"""What a check sees besides the exchange: the spec, its validators, the config, the contract tables."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from conformance.checks.model import CheckConfig
from conformance.exchange import Exchange
from conformance.spec import Operation, Spec, Validators


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
        return cls(spec, config or CheckConfig(), spec.validators)


def match_operation(spec: Spec, method: str, path: str) -> Operation | None:
    """Map a concrete request (a path below the base URL, `/v1/...` also accepted) to its operation."""
    path, _, query = path.partition("?")
    if path.startswith("/v1/"):
        path = path[3:]
    operation, _, _ = spec.router.match(method.upper(), path, dict(parse_qsl(query)))
    return operation
