"""Incremental server-sent events: parse bytes as they arrive, and read a live stream under a deadline.

The parser follows the WHATWG event-stream rules (CR, LF and CRLF line ends, even split across
chunks; multi-line `data`; `:` comments; `id` and `retry`; a leading BOM) so a check sees the
events exactly as a browser or the official SDK would. The readers stop at a deadline instead of
waiting for the whole body: a stream that never ends is a finding, not a hung test run.

    for event in parse_events(response.iter_bytes()): ...
    recorded = read_stream(httpx_response, deadline=30)  # -> conformance.exchange.Response
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any, overload

import httpx

from conformance.exchange import Response, SSEEvent

StopWhen = Callable[[SSEEvent], bool]


class SSEParser:
    """Feed bytes, get complete events. Keeps partial lines and partial events between feeds."""

    def __init__(self) -> None:
        self._buffer = b""
        self._started = False
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._has_fields = False
        self.last_event_id: str | None = None

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered (the stream stopped mid-event)."""
        return bool(self._buffer.strip()) or self._has_fields

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        self._buffer += chunk
        if not self._started:
            if len(self._buffer) < 3 and b"\xef\xbb\xbf".startswith(self._buffer):
                return []
            self._started = True
            if self._buffer.startswith(b"\xef\xbb\xbf"):
                self._buffer = self._buffer[3:]
        events = []
        buffer, pos = self._buffer, 0
        while True:
            lf = buffer.find(b"\n", pos)
            cr = buffer.find(b"\r", pos, lf if lf != -1 else len(buffer))
            if cr != -1:
                if cr + 1 == len(buffer):
                    break  # a CR at the end of a chunk: its LF may come in the next one
                line, pos = buffer[pos:cr], cr + 2 if buffer[cr + 1] == 0x0A else cr + 1
            elif lf != -1:
                line, pos = buffer[pos:lf], lf + 1
            else:
                break
            event = self._line(line)
            if event is not None:
                events.append(event)
        self._buffer = buffer[pos:]
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: a last line without its newline still counts; an unterminated event is dropped."""
        if self._buffer:
            line, self._buffer = self._buffer.rstrip(b"\r"), b""
            self._line(line)
        return []

    def _line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        self._has_fields = True
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_event_id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        data, event, id_, retry = self._data, self._event, self._id, self._retry
        self._data, self._event, self._id, self._retry, self._has_fields = [], None, None, None, False
        if not data:
            return None
        return SSEEvent(data="\n".join(data), event=event or None, id=id_, retry=retry)


def _parse_sync(chunks: Iterable[bytes]) -> Iterator[SSEEvent]:
    parser = SSEParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


async def _parse_async(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    parser = SSEParser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
    for event in parser.close():
        yield event


@overload
def parse_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]: ...
@overload
def parse_events(chunks: Iterable[bytes]) -> Iterator[SSEEvent]: ...
def parse_events(chunks: Any) -> Any:
    """Events from an iterable (or async iterable) of byte chunks, yielded as soon as each completes."""
    if isinstance(chunks, bytes | bytearray):
        return _parse_sync([bytes(chunks)])
    if hasattr(chunks, "__aiter__"):
        return _parse_async(chunks)
    return _parse_sync(chunks)


def is_terminator(event: SSEEvent) -> bool:
    """The `[DONE]` sentinel that ends chat, completions and Assistants streams."""
    return event.data.strip() == "[DONE]"


def _response(
    http: httpx.Response, content: bytes, events: list[SSEEvent], error: str | None, started: float
) -> Response:
    headers = {k.lower(): v for k, v in http.headers.items()}
    return Response(
        status=http.status_code,
        headers=headers,
        content=content,
        elapsed=time.monotonic() - started,
        events=events,
        stream_error=error,
    )


def read_stream(
    http: httpx.Response,
    *,
    deadline: float = 60.0,
    stop: StopWhen | None = is_terminator,
    max_bytes: int = 32 << 20,
) -> Response:
    """Read a streaming httpx response (opened with `client.stream(...)`) into a recorded `Response`.

    Stops at the first event for which `stop` is true, at `deadline` seconds, or at `max_bytes`;
    the last two set `stream_error`. Each blocking read is still bounded by the client's read
    timeout, so give the client one shorter than the deadline.
    """
    started = time.monotonic()
    parser, events, body, error = SSEParser(), [], bytearray(), None
    try:
        for chunk in http.iter_bytes():
            body += chunk
            for event in parser.feed(chunk):
                events.append(event)
                if stop is not None and stop(event):
                    return _response(http, bytes(body), events, None, started)
            if time.monotonic() - started > deadline:
                error = f"deadline of {deadline:g} s passed before the stream ended"
                break
            if len(body) > max_bytes:
                error = f"stream exceeded {max_bytes} bytes"
                break
        else:
            events.extend(parser.close())
            if parser.pending:
                error = "the stream ended in the middle of an event"
    except httpx.TimeoutException:
        error = "timed out waiting for the next chunk"
    except httpx.HTTPError as exc:
        error = f"the connection dropped: {type(exc).__name__}"
    return _response(http, bytes(body), events, error, started)


async def aread_stream(
    http: httpx.Response,
    *,
    deadline: float = 60.0,
    stop: StopWhen | None = is_terminator,
    max_bytes: int = 32 << 20,
) -> Response:
    """`read_stream` for an async httpx response; the deadline also interrupts a read that hangs."""
    started = time.monotonic()
    parser, events, body, error = SSEParser(), [], bytearray(), None
    chunks = http.aiter_bytes().__aiter__()
    try:
        while True:
            remaining = deadline - (time.monotonic() - started)
            if remaining <= 0:
                error = f"deadline of {deadline:g} s passed before the stream ended"
                break
            try:
                async with asyncio.timeout(remaining):
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                events.extend(parser.close())
                if parser.pending:
                    error = "the stream ended in the middle of an event"
                break
            except TimeoutError:
                error = f"deadline of {deadline:g} s passed before the stream ended"
                break
            body += chunk
            for event in parser.feed(chunk):
                events.append(event)
                if stop is not None and stop(event):
                    return _response(http, bytes(body), events, None, started)
            if len(body) > max_bytes:
                error = f"stream exceeded {max_bytes} bytes"
                break
    except httpx.TimeoutException:
        error = "timed out waiting for the next chunk"
    except httpx.HTTPError as exc:
        error = f"the connection dropped: {type(exc).__name__}"
    return _response(http, bytes(body), events, error, started)
