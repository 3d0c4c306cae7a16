"""Requests without the run's credentials, for the `auth.required` check.

In the negative phase every read (GET) the target has answered is sent once more without credentials;
listModels also with a malformed Authorization header (not a Bearer credential) and, on a real
account, with a well-formed key that is not valid. A test server is not sent the invalid key: the
emulator's open mode and local servers take any key, which is their documented right; no key at all, or
a header that is no credential, they refuse (the emulator does, with the real API's 401 envelope).
Only reads, so a target that ignores credentials creates nothing this run would not clean up.
"""

from __future__ import annotations

from conformance.checks.errors import AUTH_BREAKS
from conformance.exchange import Request
from conformance.runner.config import RunConfig
from conformance.runner.resources import fill, params_of
from conformance.spec import Operation

NO_CREDENTIALS = "no credentials"
MALFORMED = "a malformed Authorization header"
INVALID_KEY = "an API key that is not valid"
MALFORMED_HEADER = "Basic b3BlbmFpLWNvbmZvcm1hbmNlOg=="  # a password credential, not a Bearer key
INVALID_HEADER = "Bearer sk-conformance-invalid-0000000000000000000000000000"


def probes(operation: Operation, config: RunConfig, binding: dict[str, str] | None) -> list[Request]:
    """The credential probes of one operation (none for a write, or a read whose ids are unknown)."""
    names = params_of(operation.path)
    if operation.method != "GET" or (names and not binding):
        return []
    params = {name: str((binding or {})[name]) for name in names}
    variants: list[tuple[str, dict[str, str]]] = [(NO_CREDENTIALS, {})]
    if operation.id == "listModels" and config.auth_header.lower() == "authorization":
        variants.append((MALFORMED, {"authorization": MALFORMED_HEADER}))
        if config.real_account:
            variants.append((INVALID_KEY, {"authorization": INVALID_HEADER}))
    out = []
    for label, headers in variants:
        request = Request(
            "GET", fill(operation.path, params), operation.id, operation.path, params, mode="negative"
        )
        request.headers = headers
        request.breaks = AUTH_BREAKS + label
        out.append(request)
    return out


def without_credentials(request: Request) -> bool:
    """The request is a probe: the run's own credentials stay off it."""
    return str(request.breaks or "").startswith(AUTH_BREAKS)
