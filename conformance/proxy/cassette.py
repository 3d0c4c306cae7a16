"""Cassettes: recorded exchanges as JSON Lines, redacted, and the `Exchange` each line stands for.

A cassette is UTF-8 JSON Lines. The first line is a header, every other line one exchange:

    {"type": "cassette", "format": "openai-conformance-cassette", "version": 1,
     "created": "2026-11-22T01:20:00.000000Z", "tool_version": "0.1.0",
     "upstream": "https://api.openai.com/v1", "spec": {"source": ..., "version": ..., "sha256": ...}}
    {"type": "exchange", "seq": 1, "started": "2026-11-22T01:20:01.250000Z", "operation_id": "listModels",
     "request": {"method": "GET", "base": "/v1", "path": "/models", "query": "limit=2",
                 "headers": {"authorization": "[REDACTED]", ...},
                 "body": null, "body_encoding": "utf-8"},
     "response": {"status": 200, "headers": {"content-type": "application/json", ...},
                  "body": "{\\"object\\": \\"list\\", ...}", "body_encoding": "utf-8",
                  "events": null, "stream_error": null},
     "timing": {"elapsed": 0.012, "ttfb": 0.011, "first_event": null},
     "proxy_error": null, "client_left": false}

- `request.path` is the path below the API base URL (`/models`), `request.base` the base path the
  client used (`/v1`, the upstream URL's path): the client sent `base + path`. `query` is the raw
  query string. Header names are lower case; repeated headers are joined with ", ".
- Bodies are text when they are UTF-8 (`body_encoding` "utf-8") and base64 otherwise ("base64").
  Response bodies are stored decoded: `content-encoding` (gzip, br, ...) is removed.
- SSE responses (`text/event-stream`) keep the raw stream in `body` and the parsed events in
  `events` ([{"event", "data", "id", "retry"}]); `stream_error` says why a stream ended early.
- `timing`: seconds from the request reaching the proxy to the end of the response, to the
  response head (`ttfb`) and to the first streamed chunk (`first_event`).
- `proxy_error`: {"code", "status", "message"} when the client got a proxy error instead of the
  upstream's answer (upstream unreachable, timed out, invalid JSON, stream never ended);
  `response` is then what the upstream sent, or null when it sent nothing.
- `client_left`: the client disconnected before the response ended; the proxy stopped copying and
  the exchange is counted but not judged (its response is incomplete through no fault of the
  upstream).
- Redaction: credential headers (Authorization, api keys, OpenAI-Organization, OpenAI-Project,
  cookies) become "[REDACTED]"; keys (`sk-...`), bearer tokens and the values of the secret
  environment variables are scrubbed from paths, queries and text bodies; organisation and project
  ids there become pseudonyms of the same shape (`proj_` + as many hex digits, the same for the same
  id), so a replay judges them as the live proxy did.

`operation_id` is informative: replay matches each request against the spec it is given.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from threading import Lock
from typing import IO, Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from conformance import __version__, sse
from conformance.checks import match_operation
from conformance.errors import ConformanceError
from conformance.exchange import Exchange, Request, Response, SSEEvent
from conformance.redact import REDACTED, SECRET_NAMES, redact_text
from conformance.results import clean_target, now
from conformance.spec import Operation, Spec, forms

FORMAT = "openai-conformance-cassette"
VERSION = 1
SSE = "text/event-stream"
# RFC 9110 §7.6.1 connection-specific headers, plus the ones the proxy sets
# itself: never forwarded, and not part of the `Request` checks see.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


@dataclass
class Capture:
    """What the proxy saw of one exchange, as raw as it came: cheap to build on the hot path."""

    method: str
    base: str  # the API base path, e.g. "/v1"
    path: str  # below the base, e.g. "/models"; the client sent base + path
    query: str  # the raw query string
    request_headers: list[tuple[str, str]]
    request_body: bytes
    started: str | None = field(default_factory=now)  # None: the recording does not say when
    status: int | None = None  # None: the upstream sent no response head
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""  # decoded (no content-encoding)
    elapsed: float = 0.0
    ttfb: float | None = None
    first_event: float | None = None
    stream_error: str | None = None
    proxy_error: dict[str, Any] | None = None  # {"code", "status", "message"}
    client_left: bool = False  # the client disconnected before the response ended


# -- writing ------------------------------------------------------------------------------------


def header_record(upstream: str, spec: Spec | None) -> dict[str, Any]:
    described = spec.describe() if spec is not None else {}
    return {
        "type": "cassette",
        "format": FORMAT,
        "version": VERSION,
        "created": now(),
        "tool_version": __version__,
        "upstream": clean_target(upstream),
        "spec": {k: described.get(k) for k in ("source", "title", "version", "sha256")}
        if described
        else None,
    }


def to_record(
    capture: Capture, seq: int, operation_id: str | None = None, redacted: bool = True
) -> dict[str, Any]:
    """The JSON-ready record of a capture: redacted, what the cassette stores; with `redacted=False`
    what the live proxy judges. The reports redact what they write themselves, and redaction can
    change what a check sees (a key inside a body), so the live proxy judges the exchange as it
    went over the wire. A cassette keeps organisation and project ids as pseudonyms of the same
    shape, so that its replay judges them as the live proxy did."""
    scrub = _redact_keeping_ids if redacted else _as_is
    request_body, request_encoding = _encode_body(capture.request_body, scrub)
    response: dict[str, Any] | None = None
    if capture.status is not None:
        headers = _headers(capture.response_headers, redacted, drop=("content-length",))
        body, encoding = _encode_body(capture.response_body, scrub)
        events = None
        if _media_type(headers) == SSE:  # parsed from the body as stored: redacted alike
            stored = (
                body.encode("utf-8") if body is not None and encoding == "utf-8" else capture.response_body
            )
            events = [_event_dict(e) for e in parse_events(stored)]
        response = {
            "status": capture.status,
            "headers": headers,
            "body": body,
            "body_encoding": encoding,
            "events": events,
            "stream_error": capture.stream_error,
        }
    return {
        "type": "exchange",
        "seq": seq,
        "started": capture.started,
        "operation_id": operation_id,
        "request": {
            "method": capture.method.upper(),
            "base": capture.base,
            "path": scrub(capture.path),
            "query": _redact_query(capture.query) if redacted else capture.query,
            "headers": _headers(capture.request_headers, redacted),
            "body": request_body,
            "body_encoding": request_encoding,
        },
        "response": response,
        "timing": {
            "elapsed": round(capture.elapsed, 6),
            "ttfb": None if capture.ttfb is None else round(capture.ttfb, 6),
            "first_event": None if capture.first_event is None else round(capture.first_event, 6),
        },
        "proxy_error": capture.proxy_error,
        "client_left": capture.client_left,
    }


class CassetteWriter:
    """Appends records, one line each, flushed per line so a killed proxy leaves a readable file."""

    def __init__(self, path: Path | str, upstream: str, spec: Spec | None) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise ConformanceError(f"cannot write cassette {self.path}: {exc.strerror or exc}") from None
        self._lock = Lock()
        self.count = 0
        self._write(header_record(upstream, spec))

    def write(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._write(record)
            self.count += 1

    def _write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


# -- reading ------------------------------------------------------------------------------------


def read_cassette(path: Path | str) -> Iterator[dict[str, Any]]:
    """The exchange records of a cassette; a line that is not one is a usage error (exit 2)."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConformanceError(f"cannot read cassette {path}: {exc.strerror or exc}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ConformanceError(f"{path}:{number}: not a JSON line") from None
            if not isinstance(record, dict):
                raise ConformanceError(f"{path}:{number}: expected a JSON object")
            kind = record.get("type")
            if kind == "cassette":
                if record.get("format") != FORMAT or record.get("version") != VERSION:
                    raise ConformanceError(
                        f"{path}:{number}: not an {FORMAT} version {VERSION} cassette "
                        f"(format {record.get('format')!r}, version {record.get('version')!r})"
                    )
                continue
            if kind != "exchange" or not isinstance(record.get("request"), dict):
                raise ConformanceError(f"{path}:{number}: not an exchange record")
            try:
                _check_record(record)
            except (KeyError, TypeError, ValueError) as exc:
                raise ConformanceError(f"{path}:{number}: malformed exchange record ({exc})") from None
            yield record


def read_header(path: Path | str) -> dict[str, Any] | None:
    """The header line of a cassette (upstream, spec, tool version), None when it has none."""
    try:
        with Path(path).open(encoding="utf-8") as handle:
            first = handle.readline()
    except OSError as exc:
        raise ConformanceError(f"cannot read cassette {path}: {exc.strerror or exc}") from None
    try:
        header = json.loads(first)
    except ValueError:
        return None
    return header if isinstance(header, dict) and header.get("type") == "cassette" else None


def _check_record(record: dict[str, Any]) -> None:
    request = record["request"]
    if not isinstance(request["method"], str) or not isinstance(request["path"], str):
        raise ValueError("request method and path must be strings")
    response = record.get("response")
    if response is not None and not isinstance(response["status"], int):
        raise ValueError("response status must be an integer")
    _decode_body(request.get("body"), request.get("body_encoding"))


# -- records as exchanges -----------------------------------------------------------------------


def to_exchange(record: dict[str, Any], spec: Spec) -> Exchange | None:
    """The `Exchange` a record stands for, matched to an operation of `spec`; None without a response."""
    resp = record.get("response")
    if resp is None:
        return None
    response = Response(
        status=int(resp["status"]),
        headers={str(k).lower(): str(v) for k, v in (resp.get("headers") or {}).items()},
        content=_decode_body(resp.get("body"), resp.get("body_encoding")),
        elapsed=float((record.get("timing") or {}).get("elapsed") or 0.0),
        events=[SSEEvent(**e) for e in resp["events"]] if resp.get("events") is not None else None,
        stream_error=resp.get("stream_error"),
    )
    return Exchange(to_request(record, spec), response)


def to_request(record: dict[str, Any], spec: Spec) -> Request:
    """The `Request` of a record, matched to an operation of `spec` by method and path."""
    req = record["request"]
    method = req["method"].upper()
    path = req["path"]
    query = _query(req.get("query") or "")
    recorded = {str(k).lower(): str(v) for k, v in (req.get("headers") or {}).items()}
    headers = {k: v for k, v in recorded.items() if k not in HOP_BY_HOP}
    raw = _decode_body(req.get("body"), req.get("body_encoding"))
    op = match_operation(spec, method, path)
    request = Request(
        method=method,
        path=path,
        operation_id=op.id if op else None,
        path_template=op.path if op else None,
        path_params=_path_params(op.path, path) if op else {},
        query=query,
        headers=headers,
        media_type=_media_type(headers),
        mode="recorded",
    )
    _fill_body(request, raw, spec, op)
    return request


def _path_params(template: str, path: str) -> dict[str, str]:
    segments = zip(template.strip("/").split("/"), path.strip("/").split("/"), strict=False)
    return {t[1:-1]: unquote(v) for t, v in segments if t.startswith("{") and t.endswith("}")}


def _fill_body(request: Request, raw: bytes, spec: Spec, op: Operation | None) -> None:
    if not raw:
        return
    media = request.media_type or ""
    if media == "application/json" or media.endswith("+json"):
        try:
            request.body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            request.content = raw
    elif media == "multipart/form-data":
        parsed = _multipart(request.headers.get("content-type", ""), raw)
        if parsed is None:
            request.content = raw
        else:
            fields, request.files = parsed
            request.body = _typed_fields(spec, op, media, fields)
    elif media == "application/x-www-form-urlencoded":
        fields = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        request.body = _typed_fields(spec, op, media, fields)
    else:
        request.content = raw


def _typed_fields(
    spec: Spec, op: Operation | None, media: str, fields: list[tuple[str, str]]
) -> dict[str, Any]:
    """Form fields typed by the operation's body schema, as the emulator reads them (`spec.forms`):
    the checks judge `stream: true`, not the string "true" the form carried. A string that cannot be
    its declared type stays as it came. Outside the spec, repeated fields (`include[]`) become lists."""
    schema = op.request_bodies.get(media) if op is not None else None
    if schema:
        return forms.form_fields(spec, schema, fields, strict=False)
    body: dict[str, Any] = {}
    for name, value in fields:
        if name in body:
            previous = body[name]
            body[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            body[name] = value
    return body


def _multipart(
    content_type: str, raw: bytes
) -> tuple[list[tuple[str, str]], dict[str, tuple[str, bytes, str]]] | None:
    """Form fields (in order) and files of a multipart body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        return None
    fields: list[tuple[str, str]] = []
    files: dict[str, tuple[str, bytes, str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = (filename, payload, part.get_content_type())
            continue
        fields.append((str(name), payload.decode(part.get_content_charset() or "utf-8", errors="replace")))
    return fields, files


# -- helpers ------------------------------------------------------------------------------------


def _as_is(text: str) -> str:
    return text


def _redact_keeping_ids(text: str) -> str:
    return redact_text(text, keep_ids=True)


def _headers(items: list[tuple[str, str]], redacted: bool, drop: tuple[str, ...] = ()) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        if key in drop:
            continue
        if redacted:
            value = REDACTED if key in SECRET_NAMES else redact_text(value)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _redact_query(query: str) -> str:
    """Scrub keys from a raw query string; credential parameters (`api-key=...`) lose their value."""
    if not any(name in query.lower() for name in SECRET_NAMES):
        return _redact_keeping_ids(query)
    pairs = []
    for pair in query.split("&"):
        name, sep, _ = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if sep and unquote(name).lower() in SECRET_NAMES else pair)
    return _redact_keeping_ids("&".join(pairs))


def _media_type(headers: dict[str, str]) -> str | None:
    value = headers.get("content-type")
    return value.split(";")[0].strip().lower() if value else None


def _encode_body(body: bytes, scrub: Callable[[str], str]) -> tuple[str | None, str]:
    if not body:
        return None, "utf-8"
    try:
        return scrub(body.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def _decode_body(body: Any, encoding: Any) -> bytes:
    if body is None:
        return b""
    if not isinstance(body, str):
        raise ValueError("body must be a string or null")
    if encoding == "base64":
        return base64.b64decode(body, validate=True)
    if encoding in (None, "utf-8"):
        return body.encode("utf-8")
    raise ValueError(f"unknown body_encoding {encoding!r}")


def decode_content(raw: bytes, encoding: str) -> bytes | None:
    """A body without its content-encoding; None when the encoding is not one we can undo."""
    codings = [
        c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"
    ]
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                raw = zlib.decompress(raw, 16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                try:
                    raw = zlib.decompress(raw)
                except zlib.error:
                    raw = zlib.decompress(raw, -zlib.MAX_WBITS)
            elif coding == "br":
                import brotli  # type: ignore[import-not-found]

                raw = brotli.decompress(raw)
            else:
                return None
    except Exception:  # a corrupt or unsupported body is recorded as it came
        return None
    return raw


def _query(raw: str) -> dict[str, Any]:
    parsed = parse_qs(raw, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _event_dict(event: SSEEvent) -> dict[str, Any]:
    return {"event": event.event, "data": event.data, "id": event.id, "retry": event.retry}


def parse_events(body: bytes) -> list[SSEEvent]:
    """The events of a complete SSE body."""
    return list(sse.parse_events([body]))


def upstream_parts(upstream: str) -> tuple[str, str]:
    """An upstream base URL as (origin, base path): "https://api.openai.com/v1" -> (origin, "/v1")."""
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConformanceError(
            f"--upstream {upstream!r}: expected an http(s) URL such as https://api.openai.com/v1"
        )
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
