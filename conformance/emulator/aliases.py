"""Which emulator handler answers an operation of another spec: the OpenAI operation at its path.

Handlers are registered by the official spec's operationIds (`createChatCompletion`). Other specs of
the same API name their operations otherwise (Azure OpenAI: `ChatCompletions_Create`) and put the
model endpoints under a deployment (`/deployments/{deployment-id}/chat/completions`). Such an
operation is answered by the handler of the official operation with the same method and path once
the deployment prefix is taken off; the answer still follows the loaded spec's schemas.
"""

from __future__ import annotations

import re

from conformance.spec import DEFAULT_SOURCE, Operation, Spec, load

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
