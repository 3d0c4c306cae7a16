"""The ASGI middleware that applies faults around the emulator, and a request clock for tests.

Each request and response is buffered so a fault's hooks can rewrite them: `before` sees the
request before the emulator does, `after` the whole response (streams included). The catalogue of
faults is `conformance.emulator.faults`; this module knows only the `Fault` shape.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.exchange import SSEEvent
from conformance.sse import parse_events

JSON = "application/json"
MAX_HITS = 10_000  # requests remembered per fault in `app.state.fault_hits` (a long-lived server)


@dataclass
class Call:
    """One request and its (buffered) response, as a fault sees and rewrites them."""

    method: str
    path: str  # below the base path, e.g. /assistants/asst_1
    operation_id: str | None
    query: dict[str, str]  # the last value of each parameter
    body: bytes
    memory: dict[str, Any]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    content: bytes = b""
    request_headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    # -- request -------------------------------------------------------------------------------

    def request_json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def set_request_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()

    # -- response ------------------------------------------------------------------------------

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The response body as JSON, or None when it is not JSON."""
        if self.media_type != JSON:
            return None
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    def set_json(self, value: Any, status: int | None = None) -> None:
        self.content = json.dumps(value, separators=(",", ":")).encode()
        self.headers["content-type"] = JSON
        if status is not None:
            self.status = status

    def set_text(self, text: str, media_type: str, status: int | None = None) -> None:
        self.content = text.encode()
        self.headers["content-type"] = media_type
        if status is not None:
            self.status = status

    def events(self) -> list[SSEEvent]:
        """A text/event-stream body as its events."""
        return list(parse_events([self.content]))

    def set_events(self, events: list[SSEEvent]) -> None:
        self.content = b"".join(event.encode() for event in events)


Hook = Callable[[Call], None]


@dataclass(frozen=True)
class Fault:
    """One broken contract: what it breaks, how to expose it, and which check must report it."""

    name: str
    family: str  # the contract family it breaks (see `conformance.checks.FAMILIES`)
    check: str  # the check id that reports it
    description: str  # what a real server does wrong
    operations: tuple[str, ...]  # operation ids a run must exercise to expose it
    phases: tuple[str, ...]  # runner phases that expose it
    scenarios: tuple[str, ...] = ()  # with the "scenarios" phase: the scenarios that expose it
    after: Hook | None = field(default=None, repr=False, compare=False)
    before: Hook | None = field(default=None, repr=False, compare=False)


class FaultMiddleware:
    """Buffers each request and response so the faults can rewrite them; streams are buffered too."""

    def __init__(
        self,
        app: ASGIApp,
        faults: list[Fault],
        router: Any,
        base_path: str = "/v1",
        hits: dict[str, list[str]] | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.router = router
        self.base_path = base_path
        self.memory: dict[str, dict[str, Any]] = {f.name: {} for f in faults}
        self.hits = hits if hits is not None else {f.name: [] for f in faults}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        inner = path[len(self.base_path) :] if path.startswith(self.base_path) else path
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        operation, _, _ = self.router.match(scope["method"], inner, query)
        call = Call(scope["method"], inner, operation.id if operation else None, dict(query), body, {})
        sent_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        call.request_headers = dict(sent_headers)
        raw = scope.get("query_string", b"").decode("latin-1")
        label = f"{scope['method']} {path}" + (f"?{raw}" if raw else "")
        for item in self.faults:
            if item.before is not None:
                self._apply(item, item.before, call, label)
        if call.query != query:
            scope = {**scope, "query_string": urlencode(call.query).encode()}
        if call.request_headers != sent_headers:
            encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in call.request_headers.items()]
            scope = {**scope, "headers": encoded}
        if call.body != body:
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(call.body)).encode())]}
        sent = False
        done = asyncio.Event()

        async def replay() -> Message:
            nonlocal sent
            if sent:  # a streaming response listens for a disconnect: none comes before it is done
                await done.wait()
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": call.body, "more_body": False}

        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay, capture)
        finally:
            done.set()
        call.status = start.get("status", 500)
        call.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        call.content = b"".join(chunks)
        for item in self.faults:
            if item.after is not None:
                self._apply(item, item.after, call, label)
        call.headers.pop("content-length", None)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in call.headers.items()]
        headers.append((b"content-length", str(len(call.content)).encode()))
        await send({"type": "http.response.start", "status": call.status, "headers": headers})
        await send({"type": "http.response.body", "body": call.content, "more_body": False})

    def _apply(self, item: Fault, hook: Hook, call: Call, label: str) -> None:
        before = _state(call)
        call.memory = self.memory[item.name]
        hook(call)
        hits = self.hits[item.name]
        if _state(call) != before and len(hits) < MAX_HITS:
            hits.append(label)


def _state(call: Call) -> tuple[Any, ...]:
    return (
        sorted(call.query.items()),
        call.body,
        call.status,
        sorted(call.headers.items()),
        call.content,
        sorted(call.request_headers.items()),
    )


def request_clock(app: Any, start: float = 1_700_000_000) -> None:
    """Make an emulator's clock move one second per request, without sleeping.

    Objects created by successive requests then get distinct `created_at`, as on a real server, so
    a fault in ordering (`order-ignored`) shows; within one request the time stands still.
    """
    now = [float(start)]
    app.state.settings.clock = lambda: now[0]
    app.add_middleware(_Tick, now=now)


class _Tick:
    def __init__(self, app: ASGIApp, now: list[float]) -> None:
        self.app = app
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.now[0] += 1
        await self.app(scope, receive, send)
