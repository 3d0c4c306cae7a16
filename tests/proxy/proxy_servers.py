"""Servers the proxy tests start: uvicorn in a thread, and a proxy in front of an upstream."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from conformance.proxy import Observer, ProxyApp, Session
from conformance.results import RunResults
from conformance.spec import Spec


class ServerThread:
    """A uvicorn server on a free 127.0.0.1 port, in a thread of the test process."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@contextmanager
def serve(app: Any) -> Iterator[ServerThread]:
    with ServerThread(app) as server:
        yield server


class Proxy:
    """A proxy in front of `upstream`, with its observer and session, served on a free port."""

    def __init__(self, spec: Spec, upstream: str, writer: Any = None, **options: Any) -> None:
        self.lines: list[str] = []
        self.results = RunResults(spec=spec.describe(), target=upstream)
        self.observer = Observer(spec, self.results, self.lines.append)
        self.session = Session(self.observer, writer)
        self.app = ProxyApp(upstream, self.session.submit, **options)

    def finish(self) -> int:
        self.session.drain()
        self.session.close()
        return self.observer.finish()

    def violations(self) -> list[dict[str, Any]]:
        return self.results.violations()


@contextmanager
def proxied(spec: Spec, upstream: str, writer: Any = None, **options: Any) -> Iterator[tuple[Proxy, str]]:
    """Yield the proxy and its base URL (`http://127.0.0.1:PORT/v1`); the session is drained on exit."""
    proxy = Proxy(spec, upstream, writer, **options)
    with serve(proxy.app) as server:
        yield proxy, server.url + proxy.app.base
    proxy.finish()
