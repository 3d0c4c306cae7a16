"""Reading the recordings people already have: cassette records from JSONL, VCR YAML and HAR files.

`replay` judges cassette records (the format `proxy --record` writes, see `cassette.py`). Other
tools record HTTP traffic too, and their files are read here into the same records, so the
`Observer` judges them unchanged. The format is told by the content, never by the file name:

- **JSONL cassette** (`proxy --record`): a header line `{"type": "cassette", ...}`, then exchanges.
- **vcrpy / pytest-recording** YAML: `interactions: [{request: {method, uri, headers, body},
  response: {status: {code}, headers, body: {string}}}]`; bodies may be `!!binary` (base64) and
  gzip/br-compressed (`content-encoding`), or structured JSON under `parsed_body` (pydantic-ai's
  serializer).
- **Ruby VCR** YAML: `http_interactions: [{request: {method (lower case), uri, body: {encoding,
  string | base64_string}, headers}, response: {...}, recorded_at}]`; `!binary` bodies are base64.
- **HAR 1.2** (browser dev tools, mitmproxy, Charles, Postman): `log.entries[]` with
  `request.url`, `request.postData.text`, `response.content.text` (`encoding: base64` when binary)
  and `startedDateTime`.

Only exchanges addressed to the API base URL (`https://api.openai.com/v1` by default) become
records; the others are counted per host in `Recording.other_hosts` and never judged against the
OpenAI spec. Neither are answers the recorder wrote by hand (`Recording.hand_written`, with the
reason): an `x-request-id` that is no id the API issues (32 hex digits, `req_` in front since 2024,
or a UUID), or a Ruby VCR file in a layout VCR's YAML writer (Psych) never produces. A JSONL cassette is kept whole: its paths are already relative to the proxy's upstream.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml

from conformance.errors import ConformanceError
from conformance.proxy.cassette import Capture, decode_content, read_cassette, read_header, to_record

DEFAULT_BASE_URL = "https://api.openai.com/v1"
FORMATS = {
    "jsonl": "openai-conformance JSONL cassette",
    "vcrpy": "vcrpy / pytest-recording YAML",
    "ruby-vcr": "Ruby VCR YAML",
    "har": "HAR 1.2",
}
EXPECTED = "expected a JSONL cassette, vcrpy or Ruby VCR YAML, or a HAR 1.2 file"


class NotARecording(ConformanceError):
    """The file is in none of the formats replay reads (a directory skips it; a named file is an error)."""


@dataclass
class Recording:
    """One recording file read: the records to judge and what was left out."""

    path: Path
    format: str  # a key of FORMATS
    records: list[dict[str, Any]] = field(default_factory=list)  # addressed to the API base
    other_hosts: Counter[str] = field(default_factory=Counter)  # host -> exchanges not judged
    header: dict[str, Any] | None = None  # a JSONL cassette's header line (upstream, spec)
    hand_written: list[str] = field(default_factory=list)  # why each exchange left out was no API answer


@dataclass(frozen=True)
class Base:
    """The API base URL exchanges must be addressed to, split for matching."""

    host: str  # netloc, lower case, without a default port
    path: str  # "/v1"

    @classmethod
    def parse(cls, url: str) -> Base:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConformanceError(f"--base-url {url!r}: expected an http(s) URL such as {DEFAULT_BASE_URL}")
        return cls(_host(parts.scheme, parts.netloc), parts.path.rstrip("/"))

    def below(self, url: str) -> tuple[str, str] | str:
        """(path below the base, query) when `url` is addressed to it, else the key it is counted under."""
        parts = urlsplit(url)
        host = _host(parts.scheme, parts.netloc)
        if host != self.host:
            return host or "(no host)"
        path = parts.path or "/"
        if self.path and not (path == self.path or path.startswith(self.path + "/")):
            return f"{host} (outside {self.path})"
        return path[len(self.path) :] or "/", parts.query


def _host(scheme: str, netloc: str) -> str:
    netloc = netloc.rpartition("@")[2].lower()
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    return netloc[: -len(default)] if default and netloc.endswith(default) else netloc


# -- finding and detecting ----------------------------------------------------------------------


def recording_files(paths: Iterable[Path | str]) -> list[tuple[Path, bool]]:
    """Every file to read, with whether it was named (True) or found below a named directory."""
    found: list[tuple[Path, bool]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            below = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found.extend((p, False) for p in below)
        elif path.exists():
            found.append((path, True))
        else:
            raise ConformanceError(f"cannot read recording {path}: no such file or directory")
    return found


def read_recording(path: Path | str, base_url: str = DEFAULT_BASE_URL) -> Recording:
    """The records of one recording file in any format replay reads.

    Raises `NotARecording` when the content is none of them, `ConformanceError` when it is one but
    malformed; both carry a one-line message naming the file.
    """
    path = Path(path)
    base = Base.parse(base_url)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConformanceError(f"cannot read recording {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotARecording(f"{path}: not a recording ({EXPECTED}; this file is not UTF-8 text)") from None
    kind, data = _detect(text)
    if kind is None:
        raise NotARecording(f"{path}: not a recording ({EXPECTED})")
    if kind == "jsonl":
        return Recording(path, kind, list(read_cassette(path)), header=read_header(path))
    recording = Recording(path, kind)
    entries = _entries(kind, data)
    if not isinstance(entries, list):
        raise ConformanceError(f"{path}: malformed {FORMATS[kind]} (the list of exchanges is not a list)")
    for number, entry in enumerate(entries, 1):
        try:
            url, capture = _CAPTURES[kind](entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConformanceError(
                f"{path}: exchange {number}: malformed {FORMATS[kind]} entry ({type(exc).__name__}: {exc})"
            ) from None
        where = base.below(url)
        if isinstance(where, str):
            recording.other_hosts[where] += 1
            continue
        capture.base, (capture.path, capture.query) = base.path, where
        record = to_record(capture, len(recording.records) + 1)
        why = written_by_hand(record) or (
            HAND_LAYOUT if kind == "ruby-vcr" and _HAND_LAYOUT.search(text) else None
        )
        if why is not None:
            recording.hand_written.append(why)
            continue
        recording.records.append(record)
    return recording


# The ids the API puts in x-request-id: 32 hex digits (2023), `req_` and 32 hex digits (since 2024),
# a UUID (some error answers, 2025). ruby-openai's hand-written fixtures use others
# (`req_c123d456e789f012g345h678901234ef`, `req_abc123def456`).
_REQUEST_ID = re.compile(r"(req_)?[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
# Psych, which writes VCR's cassettes, never indents a block sequence under its key (`key:\n- item`).
_HAND_LAYOUT = re.compile(r"^( *)[A-Za-z_][\w-]*:\n\1  - ", re.MULTILINE)
HAND_LAYOUT = "a Ruby VCR file in a layout VCR does not write (sequences indented under their keys)"


def written_by_hand(record: dict[str, Any]) -> str | None:
    """Why a recorded answer cannot be the API's (its x-request-id is no id the API issues), or None."""
    headers = (record.get("response") or {}).get("headers") or {}
    value = next((str(v) for k, v in headers.items() if str(k).lower() == "x-request-id"), None)
    if value is None or _REQUEST_ID.fullmatch(value.strip()):
        return None
    return f"x-request-id {value.strip()!r} is no id the API issues"


def _detect(text: str) -> tuple[str | None, Any]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        first = stripped.split("\n", 1)[0]
        try:
            line = json.loads(first)
        except ValueError:
            line = None
        if isinstance(line, dict) and line.get("type") in ("cassette", "exchange"):
            return "jsonl", None
        try:
            data = json.loads(stripped)
        except ValueError:
            return None, None
        log = data.get("log") if isinstance(data, dict) else None
        return ("har", data) if isinstance(log, dict) and "entries" in log else (None, None)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader with two extra tags)
    except yaml.YAMLError:
        return None, None
    if isinstance(data, dict) and "http_interactions" in data:
        return "ruby-vcr", data
    if isinstance(data, dict) and "interactions" in data:
        return "vcrpy", data
    return None, None


def _entries(kind: str, data: dict[str, Any]) -> Any:
    if kind == "har":
        return data["log"]["entries"]
    return data["http_interactions" if kind == "ruby-vcr" else "interactions"] or []


_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
    """YAML as recorders write it: Ruby's `!binary` (base64) and any other local tag read plainly."""


def _binary(loader: yaml.Loader, node: yaml.ScalarNode) -> bytes:
    return base64.b64decode("".join(str(loader.construct_scalar(node)).split()))


def _plain(loader: yaml.Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]  # neither mapping nor sequence: a scalar


_Loader.add_constructor("!binary", _binary)
_Loader.add_multi_constructor("!", _plain)


# -- one exchange per format --------------------------------------------------------------------


def _vcrpy(entry: dict[str, Any]) -> tuple[str, Capture]:
    request, response = entry["request"], entry["response"]
    status = response["status"]
    return str(request["uri"]), _capture(
        method=str(request["method"]),
        request_headers=_yaml_headers(request.get("headers")),
        request_body=_vcr_body(request),
        status=int(status["code"] if isinstance(status, dict) else status),
        response_headers=_yaml_headers(response.get("headers")),
        response_body=_vcr_body(response),
        started=_when(entry.get("recorded_at")),
    )


def _vcr_body(part: dict[str, Any]) -> bytes:
    """A vcrpy or Ruby VCR body: text, `!!binary` bytes, base64, or pydantic-ai's `parsed_body`."""
    if "parsed_body" in part:
        parsed = part["parsed_body"]
        return parsed.encode("utf-8") if isinstance(parsed, str) else json.dumps(parsed).encode("utf-8")
    body = part.get("body")
    if isinstance(body, dict):
        if body.get("base64_string") is not None:
            return base64.b64decode("".join(str(body["base64_string"]).split()))
        body = body.get("string")
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise ValueError(f"body is a {type(body).__name__}, not text or bytes")


def _yaml_headers(headers: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for name, values in (headers or {}).items():
        for value in values if isinstance(values, list) else [values]:
            items.append((str(name).lower(), str(value)))
    return items


def _har(entry: dict[str, Any]) -> tuple[str, Capture]:
    request, response = entry["request"], entry["response"]
    content = response.get("content") or {}
    body = content.get("text")
    response_body = b""
    if body is not None:
        encoded = content.get("encoding") == "base64"
        response_body = base64.b64decode(body) if encoded else str(body).encode("utf-8")
    return str(request["url"]), _capture(
        method=str(request["method"]),
        request_headers=_har_headers(request.get("headers")),
        request_body=_har_post(request.get("postData")),
        status=int(response["status"]),
        response_headers=_har_headers(response.get("headers")),
        response_body=response_body,
        started=_when(entry.get("startedDateTime")),
    )


def _har_headers(headers: Any) -> list[tuple[str, str]]:
    # HTTP/2 pseudo-headers (":status") are not headers of the exchange.
    return [
        (str(h["name"]).lower(), str(h.get("value", "")))
        for h in headers or []
        if not str(h["name"]).startswith(":")
    ]


def _har_post(post: dict[str, Any] | None) -> bytes:
    if not post:
        return b""
    if post.get("text") is not None:
        text = str(post["text"])
        return base64.b64decode(text) if post.get("encoding") == "base64" else text.encode("utf-8")
    params = post.get("params") or []
    return urlencode([(p["name"], p.get("value", "")) for p in params]).encode("utf-8")


_CAPTURES = {"vcrpy": _vcrpy, "ruby-vcr": _vcrpy, "har": _har}


def _capture(
    *,
    method: str,
    request_headers: list[tuple[str, str]],
    request_body: bytes,
    status: int,
    response_headers: list[tuple[str, str]],
    response_body: bytes,
    started: str | None,
) -> Capture:
    """A `Capture` as the proxy would have made it: the response body without its content-encoding."""
    encoding = ", ".join(v for k, v in response_headers if k == "content-encoding")
    if encoding and response_body:
        # Recorders differ: vcrpy keeps the compressed bytes, HAR and `decode_compressed_response`
        # keep the decoded body. What does not decompress is taken as already decoded.
        response_body = decode_content(response_body, encoding) or response_body
    return Capture(
        method=method.upper(),
        base="",
        path="",
        query="",
        request_headers=request_headers,
        request_body=request_body,
        started=started,
        status=status,
        response_headers=[(k, v) for k, v in response_headers if k != "content-encoding"],
        response_body=response_body,
    )


def _when(value: Any) -> str | None:
    """A recording's timestamp (RFC 1123 as VCR writes it, or ISO 8601) as ISO 8601 UTC."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):  # YAML may already have parsed a timestamp
        return value.isoformat()
    text = str(value).strip()
    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError):
        return text or None
