from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.runner.target import LocalServer
from tests.runner.support import Recorder


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Serve an ASGI app on 127.0.0.1; returns its base URL (…/v1). Stopped after the test."""
    servers: list[LocalServer] = []

    def start(app: Any) -> str:
        server = LocalServer(app)
        servers.append(server)
        return server.base_url

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def recorder() -> type[Recorder]:
    return Recorder
