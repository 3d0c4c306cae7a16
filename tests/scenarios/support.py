"""Helpers the tests of tests/scenarios share; fixtures live in conftest.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conformance.scenarios.flow import Polling

# Fast polling for the in-process emulator (the scenarios' real defaults wait seconds).
FAST = Polling(interval=0.02, timeout=20.0, max_polls=1000, backoff=1.0, max_interval=0.02)


Rule = Callable[[str, str, int, Any], "tuple[int, Any] | None"]


class Rewriter:
    """ASGI middleware around the emulator: `rule(method, path, status, json_body)` may return a new
    (status, body) for a JSON answer, the way a non-conforming server would answer."""

    def __init__(self, app: Any, rule: Rule) -> None:
        self.app = app
        self.rule = rule
        self.state = app.state  # the emulator's store, for clean-up assertions

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body, status = b"".join(chunks), start["status"]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
        if kind.startswith(b"application/json"):
            changed = self.rule(scope["method"], scope["path"], status, json.loads(body))
            if changed is not None:
                status, data = changed
                body = json.dumps(data).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def store_counts(app: Any, kinds: tuple[str, ...]) -> dict[str, int]:
    """How many objects of each kind the emulator still holds."""
    store = app.state.store
    return {kind: len(store.list(kind, any_parent=True)) for kind in kinds}


def checks_of(result: Any) -> set[str]:
    return {v["check"] for v in result.violations}
