"""The reverse proxy: an ASGI app that forwards every request to an upstream and records what it saw.

Requests go upstream unchanged (method, path, raw query string, headers, body bytes), with only
hop-by-hop headers and `Host` replaced. Responses come back as they arrive: SSE and binary bodies
are passed through chunk by chunk; JSON bodies are read whole first, so that a body that is not
JSON can be answered with a 502 in the OpenAI error envelope instead. Judging happens elsewhere:
the app hands a `Capture` of each exchange to a `sink` (a `Session`) and returns.

A bad upstream never takes the proxy down; the client gets:
  502 upstream_unreachable    the connection failed
  504 upstream_timeout        no response head within the timeout
  502 upstream_invalid_json   a JSON response whose body does not parse
  502 upstream_error          the upstream broke the HTTP protocol
and a stream that stalls, never ends or breaks is closed with a final `event: error` whose data
is the error envelope (code upstream_stream_timeout or upstream_stream_broken).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from conformance.proxy.cassette import HOP_BY_HOP, SSE, Capture, decode_content, upstream_parts

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Sink = Callable[[Capture], None]

DEFAULT_TIMEOUT = 60.0  # seconds without a byte from the upstream
DEFAULT_STREAM_TIMEOUT = 600.0  # seconds a streamed response may last
PROXY_HEADER = "x-conformance-proxy-error"


class ProxyApp:
    """`ProxyApp("https://api.openai.com/v1", sink=session.submit)`: serve it with any ASGI server.

    Clients use the proxy's address with the upstream's base path (`http://127.0.0.1:8899/v1`);
    a path outside that base is forwarded as it is.
    """

    def __init__(
        self,
        upstream: str,
        sink: Sink | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        stream_timeout: float = DEFAULT_STREAM_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.origin, self.base = upstream_parts(upstream)
        self.sink = sink
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(self.timeout),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._proxy(scope, receive, send)
        # websockets (the Realtime API) are not proxied: the server closes them

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- one exchange -------------------------------------------------------------------------

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        body = await _read_body(receive)
        if body is None:
            return  # the client left before sending its body
        raw_path = scope.get("raw_path") or scope["path"].encode()
        full_path = raw_path.decode("latin-1").split("?", 1)[0]
        in_base = bool(self.base) and (full_path == self.base or full_path.startswith(self.base + "/"))
        path = full_path[len(self.base) :] or "/" if in_base else full_path
        query = scope.get("query_string", b"").decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        capture = Capture(
            method=scope["method"],
            base=self.base if in_base else "",
            path=path,
            query=query,
            request_headers=headers,
            request_body=body,
        )
        url = self.origin + full_path
        if query:
            url += "?" + query
        try:
            await self._exchange(url, capture, headers, body, started, receive, send)
        finally:
            capture.elapsed = time.perf_counter() - started
            if self.sink is not None:
                self.sink(capture)

    async def _exchange(
        self,
        url: str,
        capture: Capture,
        headers: list[tuple[str, str]],
        body: bytes,
        started: float,
        receive: Receive,
        send: Send,
    ) -> None:
        forward = _end_to_end(headers)
        request = self.client.build_request(capture.method, httpx.URL(url), headers=forward, content=body)
        try:
            upstream = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            await self._fail(
                send,
                capture,
                504,
                "upstream_timeout",
                f"the upstream sent no response within {self.timeout:g} s",
            )
            return
        except httpx.ConnectError as exc:
            await self._fail(
                send, capture, 502, "upstream_unreachable", f"cannot connect to the upstream ({_reason(exc)})"
            )
            return
        except httpx.HTTPError as exc:
            await self._fail(
                send, capture, 502, "upstream_error", f"the upstream broke the protocol ({_reason(exc)})"
            )
            return
        capture.ttfb = time.perf_counter() - started
        capture.status = upstream.status_code
        try:
            media = (upstream.headers.get("content-type") or "").split(";")[0].strip().lower()
            if media == SSE or not _is_json(media):
                await self._stream(upstream, capture, started, media == SSE, receive, send)
            else:
                await self._buffered(upstream, capture, send)
        finally:
            await upstream.aclose()

    async def _buffered(self, upstream: httpx.Response, capture: Capture, send: Send) -> None:
        """A JSON response: read whole, checked to parse, then sent."""
        response_headers = _response_headers(upstream)
        try:
            raw = b"".join([chunk async for chunk in upstream.aiter_raw()])
        except httpx.TimeoutException:
            capture.response_headers = response_headers
            await self._fail(
                send, capture, 504, "upstream_timeout", f"the upstream stopped sending for {self.timeout:g} s"
            )
            return
        except httpx.HTTPError as exc:
            capture.response_headers = response_headers
            await self._fail(
                send, capture, 502, "upstream_error", f"the response body broke off ({_reason(exc)})"
            )
            return
        encoding = upstream.headers.get("content-encoding", "")
        decoded = decode_content(raw, encoding)
        capture.response_headers = _recorded_headers(response_headers, decoded is not None)
        capture.response_body = raw if decoded is None else decoded
        if decoded is not None and not _parses(decoded, upstream.status_code, capture.method):
            detail = "an empty body" if not decoded.strip() else f"{len(decoded)} bytes that are not JSON"
            await self._fail(
                send,
                capture,
                502,
                "upstream_invalid_json",
                f"the upstream answered {upstream.status_code} with Content-Type {upstream.headers.get('content-type')} "
                f"but {detail}",
            )
            return
        out = [*response_headers, ("content-length", str(len(raw)))]
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": _encode(out)})
        await send({"type": "http.response.body", "body": raw})

    async def _stream(
        self,
        upstream: httpx.Response,
        capture: Capture,
        started: float,
        sse: bool,
        receive: Receive,
        send: Send,
    ) -> None:
        """SSE and binary bodies: each chunk goes to the client as soon as it arrives."""
        response_headers = _response_headers(upstream)
        out = list(response_headers)
        if not sse and "content-length" in upstream.headers:
            out.append(("content-length", upstream.headers["content-length"]))
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": _encode(out)})
        chunks: list[bytes] = []
        pump = asyncio.ensure_future(self._pump(upstream, capture, started, chunks, send))
        left = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            done, _ = await asyncio.wait({pump, left}, return_when=asyncio.FIRST_COMPLETED)
            if pump not in done:
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
                capture.client_left = True
                return
            error = pump.result()
        finally:
            left.cancel()
            raw = b"".join(chunks)
            decoded = decode_content(raw, upstream.headers.get("content-encoding", ""))
            capture.response_headers = _recorded_headers(response_headers, decoded is not None)
            capture.response_body = raw if decoded is None else decoded
        tail = b""
        if error is not None:
            code, message = error
            capture.stream_error = message
            capture.proxy_error = {"code": code, "status": upstream.status_code, "message": message}
            if sse:
                tail = b"event: error\ndata: " + json.dumps(envelope(code, message)).encode() + b"\n\n"
        await send({"type": "http.response.body", "body": tail, "more_body": False})

    async def _pump(
        self, upstream: httpx.Response, capture: Capture, started: float, chunks: list[bytes], send: Send
    ) -> tuple[str, str] | None:
        """Copy the body through; returns (code, message) when the upstream misbehaved."""
        try:
            async with asyncio.timeout(self.stream_timeout):
                async for chunk in upstream.aiter_raw():
                    if capture.first_event is None:
                        capture.first_event = time.perf_counter() - started
                    chunks.append(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except TimeoutError:
            return "upstream_stream_timeout", f"the response did not end within {self.stream_timeout:g} s"
        except httpx.TimeoutException:
            return "upstream_stream_timeout", f"the upstream sent nothing for {self.timeout:g} s mid-response"
        except httpx.HTTPError as exc:
            return "upstream_stream_broken", f"the upstream connection broke mid-response ({_reason(exc)})"
        return None

    async def _fail(self, send: Send, capture: Capture, status: int, code: str, message: str) -> None:
        capture.proxy_error = {"code": code, "status": status, "message": message}
        body = json.dumps(envelope(code, message)).encode()
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("x-request-id", "req_proxy_" + secrets.token_hex(12)),
            (PROXY_HEADER, code),
        ]
        await send({"type": "http.response.start", "status": status, "headers": _encode(headers)})
        await send({"type": "http.response.body", "body": body})


def envelope(code: str, message: str) -> dict[str, Any]:
    """The OpenAI error envelope for an answer the proxy gives instead of the upstream."""
    return {"error": {"message": message, "type": "server_error", "param": None, "code": code}}


async def _read_body(receive: Receive) -> bytes | None:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers without the hop-by-hop ones, including those the `Connection` header names."""
    named = {t.strip().lower() for k, v in headers if k.lower() == "connection" for t in v.split(",")}
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() not in named]


def _response_headers(upstream: httpx.Response) -> list[tuple[str, str]]:
    return _end_to_end([(k.lower(), v) for k, v in upstream.headers.multi_items()])


def _recorded_headers(headers: list[tuple[str, str]], decoded: bool) -> list[tuple[str, str]]:
    """Recorded bodies are decoded, so their headers lose `content-encoding`."""
    return [(k, v) for k, v in headers if not (decoded and k == "content-encoding")]


def _encode(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _parses(body: bytes, status: int, method: str) -> bool:
    if not body.strip():
        return status in (204, 304) or method.upper() == "HEAD"
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
