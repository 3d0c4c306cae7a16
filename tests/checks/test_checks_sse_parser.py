"""conformance.sse: the incremental parser and the deadline-bounded readers."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from conformance.exchange import SSEEvent
from conformance.sse import SSEParser, aread_stream, parse_events, read_stream

STREAM = (
    b": keep-alive comment\r\n"
    b"event: thread.created\r\n"
    b'data: {"id": "thread_1",\r\n'
    b'data:  "object": "thread"}\r\n'
    b"id: 7\r\n"
    b"retry: 1500\r\n"
    b"\r\n"
    b"data:no space\n\n"
    b"data: cr only\r\r"
    b"event: ignored because no data\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent(data='{"id": "thread_1",\n "object": "thread"}', event="thread.created", id="7", retry=1500),
    SSEEvent(data="no space"),
    SSEEvent(data="cr only"),
    SSEEvent(data="[DONE]"),
]


def test_whole_stream():
    events = list(parse_events([STREAM]))
    assert events == EXPECTED
    assert json.loads(events[0].data) == {"id": "thread_1", "object": "thread"}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_any_chunking_gives_the_same_events(size):
    chunks = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert list(parse_events(chunks)) == EXPECTED


def test_crlf_split_between_chunks_is_one_line_end():
    events = list(parse_events([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]))
    assert events == [SSEEvent(data="a\nb")]


def test_bom_and_bytes_input():
    assert list(parse_events(b"\xef\xbb\xbfdata: x\n\n")) == [SSEEvent(data="x")]
    assert list(parse_events([b"\xef", b"\xbb\xbf", b"data: y\n\n"])) == [SSEEvent(data="y")]


def test_unterminated_last_event_is_dropped_and_reported_pending():
    parser = SSEParser()
    assert parser.feed(b"data: complete\n\ndata: half") == [SSEEvent(data="complete")]
    assert parser.close() == []
    assert parser.pending


def test_events_arrive_as_soon_as_they_complete():
    parser = SSEParser()
    assert parser.feed(b"data: one\n") == []
    assert parser.feed(b"\ndata: tw") == [SSEEvent(data="one")]
    assert parser.feed(b"o\n\n") == [SSEEvent(data="two")]
    assert not parser.pending


def test_async_iterables():
    async def chunks():
        for i in range(0, len(STREAM), 4):
            yield STREAM[i : i + 4]

    async def collect():
        return [event async for event in parse_events(chunks())]

    assert asyncio.run(collect()) == EXPECTED


class Slow(httpx.AsyncByteStream):
    """Two events, then a stall longer than any deadline in these tests."""

    async def __aiter__(self):
        yield b"data: 1\n\n"
        yield b"data: 2\n\n"
        await asyncio.sleep(30)
        yield b"data: [DONE]\n\n"


def sse_response(stream, **kw):
    return httpx.Response(
        200, headers={"content-type": "text/event-stream", "x-request-id": "req_1"}, stream=stream, **kw
    )


def test_async_reader_stops_at_the_deadline_without_waiting_for_the_body():
    async def main():
        transport = httpx.MockTransport(lambda request: sse_response(Slow()))
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("POST", "http://t/v1/chat/completions") as r,
        ):
            return await aread_stream(r, deadline=0.2)

    recorded = asyncio.run(main())
    assert [e.data for e in recorded.events] == ["1", "2"]
    assert "deadline" in recorded.stream_error
    assert recorded.status == 200 and recorded.headers["x-request-id"] == "req_1"
    assert recorded.media_type == "text/event-stream"


def test_readers_stop_at_done_and_record_the_bytes():
    body = [b"data: 1\n\n", b"data: [DONE]\n\n", b"data: after\n\n"]

    class Finite(httpx.SyncByteStream):
        def __iter__(self):
            yield from body

    transport = httpx.MockTransport(lambda request: sse_response(Finite()))
    with httpx.Client(transport=transport) as client, client.stream("GET", "http://t/x") as r:
        recorded = read_stream(r, deadline=5)
    assert [e.data for e in recorded.events] == ["1", "[DONE]"]
    assert recorded.stream_error is None
    assert recorded.content.startswith(b"data: 1")


def test_reader_reports_a_stream_cut_mid_event():
    transport = httpx.MockTransport(lambda request: sse_response(httpx.ByteStream(b"data: 1\n\ndata: par")))
    with httpx.Client(transport=transport) as client, client.stream("GET", "http://t/x") as r:
        recorded = read_stream(r, deadline=5)
    assert [e.data for e in recorded.events] == ["1"]
    assert recorded.stream_error == "the stream ended in the middle of an event"
