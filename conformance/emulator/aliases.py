"""Which emulator handler answers an operation of another spec: the OpenAI operation at its path.

Handlers are registered by the official spec's operationIds (`createChatCompletion`). Other specs of
the same API name their operations otherwise (Azure OpenAI: `ChatCompletions_Create`) and put the
model endpoints under a deployment (`/deployments/{deployment-id}/chat/completions`). Such an
operation is answered by the handler of the official operation with the same method and path once
the deployment prefix is taken off; the answer still follows the loaded spec's schemas.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import JSONResponse, Response

from conformance.emulator.synth import synthesizer
from conformance.spec import DEFAULT_SOURCE, Operation, Spec, load, schema_properties

_DEPLOYMENT_PREFIX = re.compile(r"^/deployments/\{[^}]+\}(?=/)")


def official_path(path: str) -> str:
    """`/deployments/{deployment-id}/chat/completions` -> `/chat/completions`."""
    return _DEPLOYMENT_PREFIX.sub("", path)


def official_id(spec: Spec, operation: Operation) -> str | None:
    """The official spec's operationId at this operation's method and path, or None."""
    return spec.derived(("official-id", operation.id), lambda: _find(operation))


def _find(operation: Operation) -> str | None:
    official = load(DEFAULT_SOURCE)
    found, _, _ = official.router.match(
        operation.method, official_path(operation.path), operation.extra_query
    )
    return None if found is None else found.id


def conform(spec: Spec, operation: Operation, response: Response) -> Response:
    """The official handler's JSON answer, with the fields the loaded spec requires and it lacks.

    Another spec may require a field the official one does not have (Azure's vector store requires
    `bytes`): such a field is added from the loaded schema; nothing the handler wrote is changed.
    """
    declared = operation.response_for(response.status_code)
    schema = declared.content.get("application/json") if declared is not None else None
    media = (response.headers.get("content-type") or "").split(";")[0].strip()
    body = getattr(response, "body", None)
    if schema is None or media != "application/json" or not body:
        return response
    try:
        answer = json.loads(body)
    except ValueError:
        return response
    if spec.validators.is_valid(schema, answer) or not _complete(spec, schema, answer, operation.id, 0):
        return response
    headers = {
        k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")
    }
    return JSONResponse(answer, status_code=response.status_code, headers=headers)


def _complete(spec: Spec, schema: Any, value: Any, seed: str, depth: int) -> bool:
    """Add the required fields `value` lacks, in place, below objects and arrays; True if any was."""
    schema = spec.resolve(schema)
    if not isinstance(schema, dict) or depth > 8:
        return False
    if isinstance(value, list):
        items = schema.get("items")
        return any([_complete(spec, items, item, seed, depth + 1) for item in value]) if items else False
    if not isinstance(value, dict):
        return False
    parts = [schema, *(spec.resolve(p) for p in schema.get("allOf") or [])]
    required = {name for part in parts if isinstance(part, dict) for name in part.get("required") or []}
    properties = schema_properties(spec.document, schema)
    changed = False
    for name in sorted(required - set(value)):
        value[name] = synthesizer(spec).value(
            properties.get(name, {"type": "integer", "minimum": 0}), seed=seed
        )
        changed = True
    for name, sub in properties.items():
        if isinstance(value.get(name), (dict, list)):
            changed = _complete(spec, sub, value[name], seed, depth + 1) or changed
    return changed


def local_operation(spec: Spec, official: str) -> Operation:
    """The loaded spec's operation that the official `official` operationId names (`getResponse` is
    azure-preview's `GET /responses/{response_id}`); SpecError when the spec has none."""
    if official in spec.by_id:
        return spec.by_id[official]
    for operation in spec.operations:
        if official_id(spec, operation) == official:
            return operation
    return spec.operation(official)  # raises the one-line SpecError
