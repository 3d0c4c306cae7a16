"""Cassette records: redaction, body encodings, and the `Exchange` a record stands for."""

from __future__ import annotations

import gzip
import json

import httpx
from starlette.middleware.gzip import GZipMiddleware

from conformance.proxy import Capture, CassetteWriter, read_cassette, to_exchange, to_record
from conformance.proxy.observer import Observer
from conformance.results import RunResults
from tests.proxy.proxy_servers import proxied, serve
from tests.proxy.proxy_upstreams import GoodUpstream

KEY = "sk-proj-UNITKEYabcdefghijklmnopqrstuvwxyz0123456789"


def multipart_capture() -> Capture:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        b'--B\r\nContent-Disposition: form-data; name="timestamp_granularities[]"\r\n\r\nword\r\n'
        b'--B\r\nContent-Disposition: form-data; name="timestamp_granularities[]"\r\n\r\nsegment\r\n'
        b'--B\r\nContent-Disposition: form-data; name="stream"\r\n\r\nfalse\r\n'
        b'--B\r\nContent-Disposition: form-data; name="temperature"\r\n\r\n0.5\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\nRIFF\x00\x01\xfe\xff\r\n--B--\r\n"
    )
    return Capture(
        method="POST",
        base="/v1",
        path="/audio/transcriptions",
        query="",
        request_headers=[
            ("Authorization", f"Bearer {KEY}"),
            ("OpenAI-Organization", "org-ABCDEFGHIJKLMNOPQRSTuvwx"),
            ("OpenAI-Project", "proj_ABCDEFGHIJKLMNOPQRSTuvwx"),
            ("Content-Type", "multipart/form-data; boundary=B"),
        ],
        request_body=body,
        status=200,
        response_headers=[("content-type", "application/json"), ("x-request-id", "req_1")],
        response_body=json.dumps({"text": "hello", "note": f"echo {KEY}"}).encode(),
        elapsed=0.25,
        ttfb=0.2,
    )


def test_records_are_redacted_and_binary_bodies_are_base64(spec):
    record = to_record(multipart_capture(), seq=1, operation_id="createTranscription")
    text = json.dumps(record)
    assert KEY not in text and "org-ABCDEF" not in text and "proj_ABCDEF" not in text
    headers = record["request"]["headers"]
    assert (
        headers["authorization"]
        == headers["openai-organization"]
        == headers["openai-project"]
        == "[REDACTED]"
    )
    assert record["request"]["body_encoding"] == "base64"  # the wav bytes are not UTF-8
    assert record["response"]["body_encoding"] == "utf-8"
    assert record["timing"] == {"elapsed": 0.25, "ttfb": 0.2, "first_event": None}


def test_credentials_in_query_strings_are_redacted():
    capture = Capture(
        "GET", "/v1", "/models", f"api-key=abc123secret&limit=2&note={KEY}", [], b"", status=200
    )
    query = to_record(capture, seq=1)["request"]["query"]
    assert query == "api-key=[REDACTED]&limit=2&note=[REDACTED]"


def test_a_record_becomes_the_exchange_checks_judge(spec):
    exchange = to_exchange(to_record(multipart_capture(), seq=1), spec)
    assert exchange is not None
    request = exchange.request
    assert (request.operation_id, request.path, request.mode) == (
        "createTranscription",
        "/audio/transcriptions",
        "recorded",
    )
    assert request.media_type == "multipart/form-data"
    # typed by the body schema as the emulator reads them (spec.forms), as the runner sent them
    assert request.body == {
        "model": "whisper-1",
        "timestamp_granularities": ["word", "segment"],
        "stream": False,
        "temperature": 0.5,
    }
    assert request.files == {"file": ("a.wav", b"RIFF\x00\x01\xfe\xff", "audio/wav")}
    assert exchange.response.json()["text"] == "hello"
    assert exchange.response.elapsed == 0.25


def test_form_fields_that_cannot_be_their_type_stay_as_they_came(spec):
    """A negative request's `stream=maybe` is judged as sent, not dropped or turned into an error."""
    capture = Capture(
        "POST",
        "/v1",
        "/audio/transcriptions",
        "",
        [("content-type", "multipart/form-data; boundary=B")],
        b'--B\r\nContent-Disposition: form-data; name="stream"\r\n\r\nmaybe\r\n--B--\r\n',
        status=400,
    )
    exchange = to_exchange(to_record(capture, seq=1), spec)
    assert exchange is not None and exchange.request.body == {"stream": "maybe"}


def test_the_unredacted_record_keeps_project_ids_and_json_bodies_whole(spec):
    """What the live proxy judges is what went over the wire; only the cassette is redacted."""
    project = {"id": "proj_ABCDEFGHIJKLMNOPQRSTuvwx", "object": "organization.project", "name": "p"}
    capture = Capture(
        "GET",
        "/v1",
        f"/organization/projects/{project['id']}",
        "",
        [],
        b"",
        status=200,
        response_headers=[("content-type", "application/json")],
        response_body=json.dumps(project).encode(),
    )
    stored = to_record(capture, seq=1)
    # the cassette hides the id behind a pseudonym of its shape, the same in the path and the body
    pseudonym = stored["request"]["path"].rsplit("/", 1)[1]
    assert pseudonym != project["id"] and project["id"] not in json.dumps(stored)
    assert (pseudonym[:5], len(pseudonym)) == ("proj_", len(project["id"]))
    assert json.loads(stored["response"]["body"])["id"] == pseudonym
    exchange = to_exchange(to_record(capture, seq=1, redacted=False), spec)
    assert exchange is not None and exchange.request.path_params == {"project_id": project["id"]}
    assert exchange.response.json() == project


def test_redaction_never_cuts_a_json_body():
    """A URL in one string and an `@` in a later one are no `user:password@` to scrub."""
    body = {"image_url": "https://example.com", "email": "me@example.com"}
    text = json.dumps(body, separators=(",", ":"))  # compact, as servers write it
    capture = Capture("POST", "/v1", "/evals", "", [], text.encode(), status=200)
    assert json.loads(to_record(capture, seq=1)["request"]["body"]) == body


def test_path_parameters_and_query_are_recovered(spec):
    capture = Capture("GET", "/v1", "/threads/thread_1/messages", "limit=2&order=asc", [], b"", status=404)
    exchange = to_exchange(to_record(capture, seq=1), spec)
    assert exchange is not None
    assert exchange.request.operation_id == "listMessages"
    assert exchange.request.path_params == {"thread_id": "thread_1"}
    assert exchange.request.query == {"limit": "2", "order": "asc"}


def test_sse_records_keep_the_raw_stream_and_its_events(spec, tmp_path):
    body = b'data: {"a": 1}\n\n: comment\n\nevent: done\ndata: [DONE]\n\n'
    capture = Capture("POST", "/v1", "/chat/completions", "", [], b"{}", status=200, response_body=body)
    capture.response_headers = [("content-type", "text/event-stream; charset=utf-8")]
    path = tmp_path / "c.jsonl"
    writer = CassetteWriter(path, "http://user:secret@upstream.test/v1", spec)
    writer.write(to_record(capture, seq=1))
    writer.close()
    header = json.loads(path.read_text().splitlines()[0])
    assert (
        header["upstream"] == "http://upstream.test/v1" and header["format"] == "openai-conformance-cassette"
    )
    [record] = list(read_cassette(path))
    assert record["response"]["events"] == [
        {"event": None, "data": '{"a": 1}', "id": None, "retry": None},
        {"event": "done", "data": "[DONE]", "id": None, "retry": None},
    ]
    exchange = to_exchange(record, spec)
    assert exchange is not None
    assert (
        exchange.response.content == body and [e.data for e in exchange.response.events or []][-1] == "[DONE]"
    )


def test_compressed_responses_pass_through_and_are_recorded_decoded(spec, tmp_path):
    upstream = GoodUpstream()
    app = GZipMiddleware(upstream.app, minimum_size=1)
    cassette = tmp_path / "gz.jsonl"
    with serve(app) as server:
        writer = CassetteWriter(cassette, server.url + "/v1", spec)
        with proxied(spec, server.url + "/v1", writer) as (proxy, base):
            raw = httpx.get(base + "/models", headers={"accept-encoding": "gzip"})
            assert raw.headers["content-encoding"] == "gzip"
            assert raw.json()["object"] == "list"  # httpx undid the gzip the upstream applied
            with httpx.stream("GET", base + "/models", headers={"accept-encoding": "gzip"}) as streamed:
                passed = b"".join(streamed.iter_raw())  # the upstream's gzip bytes, not re-encoded
                assert gzip.decompress(passed) == raw.content
    assert proxy.violations() == [], proxy.lines
    record = list(read_cassette(cassette))[0]
    assert "content-encoding" not in record["response"]["headers"]
    assert json.loads(record["response"]["body"])["data"][0]["id"] == "gpt-4o-mini"


def test_a_deviation_is_printed_live_once(openai_spec) -> None:
    """The observer prints the first finding of each signature; repeats go to the end-of-run groups."""

    def models(status: int = 200) -> Capture:
        body = {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "x"}]}  # no created
        return Capture(
            "GET",
            "/v1",
            "/models",
            "",
            [],
            b"",
            status=status,
            response_headers=[("content-type", "application/json"), ("x-request-id", "r")],
            response_body=json.dumps(body).encode(),
        )

    lines: list[str] = []
    observer = Observer(openai_spec, RunResults(target="http://upstream"), lines.append)
    for seq in range(3):
        found = observer.observe(to_record(models(), seq=seq, operation_id="listModels"))
        assert found and all(v.check == "response.schema" for v in found)
    assert len(lines) == 1 and lines[0].startswith("VIOLATION listModels GET /models -> 200"), lines
    assert observer.results.to_dict()["operations"][0]["violations"], "every finding is still recorded"
