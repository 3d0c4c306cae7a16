"""Checks on the HTTP envelope and the body schema: status, content type, headers, response.schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conformance.checks.context import Context
from conformance.checks.model import Finding, check, excerpt
from conformance.checks.validation import errors_of
from conformance.exchange import Exchange
from conformance.spec import Operation, ResponseSpec
from conformance.spec.data import load_table

SSE = "text/event-stream"
JSON_TYPES = ("application/json",)


def declared(op: Operation, status: int) -> ResponseSpec | None:
    """The response the spec declares for a status (exact, `2XX` range or `default`)."""
    return op.response_for(status)


def is_json_media(media_type: str | None) -> bool:
    return media_type is not None and (media_type in JSON_TYPES or media_type.endswith("+json"))


def media_matches(declared_type: str, actual: str) -> bool:
    if declared_type in ("*/*", actual):
        return True
    if declared_type == "application/octet-stream":
        # Generic bytes: the real API names the concrete type (createSpeech answers audio/mpeg).
        return not (is_json_media(actual) or actual.startswith("text/"))
    major, _, minor = declared_type.partition("/")
    return minor == "*" and actual.startswith(major + "/")


def raw_bytes_body(schema: Any) -> bool:
    """A JSON body declared as a bare string stands for file bytes (downloadFile): any type goes."""
    return isinstance(schema, dict) and schema.get("type") == "string" and "format" not in schema


def asked_to_stream(exchange: Exchange) -> bool:
    """`stream: true`, or createSpeech's `stream_format: sse` (its way of asking for events)."""
    body = exchange.request.body
    return isinstance(body, dict) and (body.get("stream") is True or body.get("stream_format") == "sse")


# Audio `response_format`s the real API answers as text/plain, although the spec declares only JSON
# for translations (and JSON or SSE for transcriptions).
TEXT_FORMATS = ("text", "srt", "vtt")
TEXT_FORMAT_OPERATIONS = ("createTranscription", "createTranslation")


def plain_text_format(op: Operation, exchange: Exchange) -> bool:
    body = exchange.request.body
    return (
        op.id in TEXT_FORMAT_OPERATIONS
        and isinstance(body, dict)
        and body.get("response_format") in TEXT_FORMATS
        and exchange.response.media_type == "text/plain"
    )


def streams_per_table(operation_id: str) -> bool:
    """Operations that stream on `stream: true` although the spec declares no text/event-stream
    (createRun, createThreadAndRun, submitToolOuputsToRun): spec/streams.yaml lists them."""
    kinds = (load_table("streams.yaml").get("kinds") or {}).values()
    return any(operation_id in kind.get("operations", ()) for kind in kinds)


def is_stream(exchange: Exchange) -> bool:
    return exchange.response.events is not None or exchange.response.media_type == SSE


@check(
    "transport",
    family="http",
    description="Every request gets a complete HTTP response: no refused connection, reset, timeout or "
    "unreadable answer. The runner reports it when a request fails; per exchange there is nothing to judge.",
)
def transport(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    return iter(())


@check(
    "response.status",
    severity="error",
    family="http",
    description="The status is one the operation declares (spec plus the error overlay); "
    "undeclared 2xx are reported by response.schema.",
)
def response_status(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    op = ctx.operation(exchange)
    status = exchange.response.status
    if op is None or 200 <= status < 300 or declared(op, status) is not None:
        return
    statuses = ", ".join(op.responses)
    yield Finding(
        f"status {status} is not declared for {op.method} {op.path}",
        expected=statuses,
        got=str(status),
        severity="warning" if 400 <= status < 500 else None,
    )


@check(
    "response.content_type",
    family="http",
    description="The Content-Type is one declared for the status; a `stream: true` request gets "
    "text/event-stream; errors answer application/json.",
)
def response_content_type(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    op = ctx.operation(exchange)
    response = exchange.response
    if op is None or exchange.request.method == "HEAD" or response.status in (204, 304):
        return
    actual = response.media_type
    if response.status >= 400:
        if response.content and not is_json_media(actual):
            yield Finding(
                "an error answer should be JSON", expected="application/json", got=actual or "(none)"
            )
        return
    spec = declared(op, response.status)
    if not response.content and not response.events:
        return  # an empty body is judged by response.schema
    if actual is None:  # every body, a file download too: a client cannot tell what the bytes are
        expected = ", ".join(spec.content) if spec is not None and spec.content else "a Content-Type"
        yield Finding("the response has a body but no Content-Type", expected=expected, got="(none)")
        return
    if spec is None or not spec.content:
        return
    if any(raw_bytes_body(schema) for schema in spec.content.values()):
        return
    if actual == SSE and asked_to_stream(exchange) and streams_per_table(op.id):
        return
    if SSE in spec.content and asked_to_stream(exchange) and actual != SSE:
        yield Finding("a `stream: true` request should answer text/event-stream", expected=SSE, got=actual)
        return
    if actual == SSE and SSE in spec.content and not asked_to_stream(exchange):
        yield Finding(
            "the answer streams although the request did not ask for `stream: true`",
            expected=", ".join(t for t in spec.content if t != SSE) or "a non-streamed body",
            got=actual,
            severity="warning",
        )
        return
    if not any(media_matches(t, actual) for t in spec.content) and not plain_text_format(op, exchange):
        yield Finding(
            f"Content-Type {actual} is not declared for status {response.status}",
            expected=", ".join(spec.content),
            got=actual,
        )


@check(
    "response.headers",
    family="http",
    description="Declared response headers are present and match their schema; configured headers "
    "(x-request-id by default) are present.",
)
def response_headers(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    op = ctx.operation(exchange)
    headers = exchange.response.headers
    scrubbed = ctx.config.scrubbed_headers
    for name in ctx.config.required_headers:
        if name not in headers and name not in scrubbed:
            yield Finding(f"header {name} is missing", expected=f"a {name} header", got="(absent)")
    spec = declared(op, exchange.response.status) if op is not None else None
    for name, header in (spec.headers if spec else {}).items():
        header = ctx.spec.resolve(header) or {}
        value = headers.get(name.lower())
        if value is None:
            if header.get("required") and name.lower() not in scrubbed:
                yield Finding(
                    f"declared header {name} is missing", expected=f"a {name} header", got="(absent)"
                )
            continue
        schema = header.get("schema")
        if name.lower() == "transfer-encoding" or schema is None:
            continue
        parsed = _header_value(value)
        if not ctx.validators.is_valid(schema, parsed) and not ctx.validators.is_valid(schema, value):
            yield Finding(f"header {name} does not match its schema", expected=excerpt(schema), got=value)


def _header_value(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


@check(
    "response.schema",
    family="schema",
    description="A 2xx body validates against the schema declared for its status and media type; "
    "a 2xx the spec does not declare is a violation (4xx/5xx go to error.envelope).",
)
def response_schema(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    op = ctx.operation(exchange)
    response = exchange.response
    if op is None or not 200 <= response.status < 300:
        return
    spec = declared(op, response.status)
    if spec is None:
        yield Finding(
            f"status {response.status} is not declared for {op.method} {op.path}",
            expected=", ".join(s for s in op.responses if s.startswith("2")) or "a declared 2xx",
            got=str(response.status),
        )
        return
    if is_stream(exchange) or not spec.content:
        return  # streams are judged event by event in sse.stream
    media = response.media_type
    schema_media = media if media in spec.content else None
    if schema_media is None:
        json_declared = [t for t in spec.content if is_json_media(t)]
        if (media is None or is_json_media(media)) and len(json_declared) == 1:
            schema_media = json_declared[0]
    if schema_media is None or not is_json_media(schema_media):
        return  # binary bodies, or a content type response.content_type already reports
    schema = spec.content[schema_media]
    if schema is None or raw_bytes_body(schema):
        return
    if not response.is_json:
        what = "the body is not valid JSON" if response.content else "the body is empty"
        yield Finding(what, expected=f"JSON ({schema_media})", got=response.text(120) or "(empty)")
        return
    validator = ctx.validators.for_response(op, spec.status, schema_media)
    if validator is None:
        return
    body = response.json()
    errors = errors_of(validator, body)
    if errors and _overlapping_one_of(ctx, schema, body):
        return
    for error in errors:
        yield Finding(
            error.message,
            expected=f"schema at {error.schema_path}",
            got=excerpt(error.instance),
            path=error.path,
        )


def _overlapping_one_of(ctx: Context, schema: Any, body: Any) -> bool:
    """A body-level `oneOf` whose branches overlap, so a real answer matches several of them: the
    transcription union's plain JSON branch (`{text}`, open to extra fields) also matches every verbose
    and diarized answer, so no such answer can pass `oneOf`. A body that fits more than one branch is
    the spec's ambiguity, not the server's fault: it passes (the union is read as `anyOf`). A body that
    fits no branch is still reported."""
    node = ctx.spec.resolve(schema)
    branches = node.get("oneOf") if isinstance(node, dict) else None
    if not branches or not isinstance(body, dict):
        return False
    matching = [branch for branch in branches if ctx.validators.is_valid(branch, body)]
    return len(matching) > 1
