"""Servers nobody here would write on purpose: one that implements nothing, and partial ones.

Each is an ASGI app for the `serve` fixture (uvicorn on 127.0.0.1).
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Iterable
from typing import Any

from starlette.types import Receive, Scope, Send

from conformance.emulator import create_app


async def _send_json(send: Send, status: int, body: Any, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode() if body is not None else b""
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": payload})


async def _drain(receive: Receive) -> None:
    while (await receive()).get("more_body"):
        pass


class NotFoundEverywhere:
    """Answers every request 404, with the OpenAI error envelope and an `x-request-id`."""

    def __init__(self, message: str = "Not found") -> None:
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await _drain(receive)
        envelope = {
            "error": {"message": self.message, "type": "invalid_request_error", "param": None, "code": None}
        }
        await _send_json(send, 404, envelope, [(b"x-request-id", uuid.uuid4().hex.encode())])


class Partial:
    """The emulator for the routes named ("METHOD /v1/path-glob"); FastAPI's default 404 elsewhere."""

    def __init__(self, routes: Iterable[str], **settings: Any) -> None:
        self.routes = [route.split(" ", 1) for route in routes]
        self.emulator = create_app(run_delay=0, **settings)

    def serves(self, method: str, path: str) -> bool:
        return any(m == method and fnmatch.fnmatchcase(path, glob) for m, glob in self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.serves(scope["method"], scope["path"]):
            await self.emulator(scope, receive, send)
            return
        await _drain(receive)
        await _send_json(send, 404, {"detail": "Not Found"})


# What vLLM-style servers implement: models, chat completions (not stored ones) and embeddings.
CHAT_ONLY = ("GET /v1/models", "GET /v1/models/*", "POST /v1/chat/completions", "POST /v1/embeddings")
