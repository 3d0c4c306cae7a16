"""Helpers the tests of tests/runner share; fixtures live in conftest.py."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


class Recorder:
    """A tiny target: answers from a table and records every request it got."""

    def __init__(self, routes: dict[tuple[str, str], Callable[[Request], Response]] | None = None) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.routes = routes or {}
        self.app = Starlette(
            routes=[Route("/{path:path}", self.handle, methods=["GET", "POST", "DELETE", "PUT", "PATCH"])]
        )

    async def handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.seen.append((request.method, path, dict(request.headers)))
        handler = self.routes.get((request.method, path))
        if handler is None:
            return PlainTextResponse("Not Found", status_code=404)
        return handler(request)


def json_response(data: Any, status: int = 200, **headers: str) -> Callable[[Request], Response]:
    return lambda request: JSONResponse(data, status_code=status, headers=headers or None)


def free_port() -> int:
    """A port no one listens on right now, for a server a test starts on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_results(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "latest" / "results.json").read_text())
