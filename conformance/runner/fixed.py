"""What every request of a run carries whatever was generated: the `--query` pairs and the `--deployment`.

Azure OpenAI answers only requests with its `api-version` query parameter, and names the model by a
deployment in the path (`/deployments/{deployment-id}/chat/completions`); a generated value for
either would only ever get a 404. A negative request that breaks one of them keeps what it broke.
A request the runner builds itself (the stateful phase, scenarios, clean-up) also gets the required
query parameters it lacks, from the spec's own default, enum or example.
"""

from __future__ import annotations

import copy

from conformance.exchange import Request
from conformance.runner.config import RunConfig
from conformance.runner.resources import fill, match_path, params_of
from conformance.spec import Operation

DEPLOYMENT_PARAMS = ("deployment-id", "deployment_id", "deployment")


def with_fixed(request: Request, operation: Operation | None, config: RunConfig) -> Request:
    """The request with the run's fixed query parameters and deployment (a copy when it changes)."""
    broken = str(request.breaks or "")
    wanted = {**_required_query(operation), **config.fixed_query}
    query = {k: v for k, v in wanted.items() if k not in broken and request.query.get(k) != v}
    query = {k: v for k, v in query.items() if k in config.fixed_query or k not in request.query}
    template = operation.path if operation is not None else request.path_template
    deployment = None
    if config.deployment and template:
        deployment = next(
            (n for n in params_of(template) if n in DEPLOYMENT_PARAMS and n not in broken), None
        )
    params = match_path(template, request.path) if deployment and template else None
    if deployment and (params is None or params.get(deployment) == config.deployment):
        deployment = None
    if not query and not deployment:
        return request
    request = copy.copy(request)
    request.query = {**request.query, **query}
    if deployment and params is not None and template and config.deployment:
        params[deployment] = config.deployment
        request.path_params = {**request.path_params, deployment: config.deployment}
        request.path = fill(template, params)
    return request


def _required_query(operation: Operation | None) -> dict[str, str]:
    """Required query parameters with one obvious value in the spec (a default, const, enum or example)."""
    found = {}
    for param in operation.parameters if operation is not None else ():
        if param.location != "query" or not param.required:
            continue
        schema = param.schema or {}
        for value in (
            schema.get("default"),
            schema.get("const"),
            (schema.get("enum") or [None])[0],
            schema.get("example"),
            (schema.get("examples") or [None])[0],
        ):
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                found[param.name] = str(value)
                break
    return found
