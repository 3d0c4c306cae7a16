"""The error contract: the envelope of every 4xx/5xx, and what valid and invalid requests must get."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from conformance.checks.context import Context
from conformance.checks.model import Finding, check, excerpt
from conformance.exchange import Exchange
from conformance.spec import schema_properties
from conformance.spec.data import load_table

ENVELOPE = '{"error": {"message": str, "type": str, "param": str|null, "code": str|null}}'


def envelope_problems(body: Any) -> list[tuple[str, str, Any]]:
    """(path, what is wrong, what was there) for each way `body` misses the OpenAI error envelope."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        got = body.get("error") if isinstance(body, dict) and "error" in body else body
        where = "$.error" if isinstance(body, dict) and "error" in body else "$"
        return [(where, "the body is not an error envelope", got)]
    error = body["error"]
    problems = []
    message = error.get("message")
    if not isinstance(message, str) or not message.strip():
        problems.append(("$.error.message", "error.message must be a non-empty string", message))
    if not isinstance(error.get("type"), str) or not error.get("type"):
        problems.append(("$.error.type", "error.type must be a non-empty string", error.get("type")))
    for key in ("param", "code"):
        if key not in error:
            problems.append((f"$.error.{key}", f"error.{key} is missing (string or null expected)", None))
        elif error[key] is not None and not isinstance(error[key], str):
            problems.append((f"$.error.{key}", f"error.{key} must be a string or null", error[key]))
    return problems


def about_a_reference(error: dict[str, Any]) -> bool:
    """A 400 about an id that names no existing object: the spec cannot promise the object exists."""
    param, code = error.get("param"), error.get("code")
    parts = (
        [p for p in re.split(r"[.\[\]]+", param) if p and not p.isdigit()] if isinstance(param, str) else []
    )
    leaf = parts[-1] if parts else ""
    return leaf.endswith(("_id", "_ids")) or (isinstance(code, str) and code.endswith("not_found"))


_NAMES_AN_ID = re.compile(r"\bID\b")


def names_a_sent_id(ctx: Context, exchange: Exchange, error: dict[str, Any]) -> bool:
    """A 400 whose message quotes the value of a body field the spec describes as an ID
    (`training_file`: "The ID of an uploaded file"), the error's `param` when it names one, else any:
    the object it names does not exist. State, not schema (`invalid training_file: file-abc123`,
    `Input file 'file-abc123' not found.` with `param: null`)."""
    param, message, body = error.get("param"), error.get("message"), exchange.request.body
    op = ctx.operation(exchange)
    if not isinstance(message, str) or not isinstance(body, dict) or op is None:
        return False
    names = [param] if isinstance(param, str) else [k for k, v in body.items() if isinstance(v, str)]
    for name in names:
        value = body.get(name)
        # with `param` naming the field, any quoted value counts; scanning every field, a short value
        # could appear in the message by chance
        shortest = 1 if name == param else 4
        if not isinstance(value, str) or len(value) < shortest or value not in message:
            continue
        for schema in op.request_bodies.values():
            prop = ctx.spec.resolve(schema_properties(ctx.spec.document, schema).get(name)) or {}
            if isinstance(prop, dict) and _NAMES_AN_ID.search(str(prop.get("description") or "")):
                return True
    return False


def allowed_types(status: int) -> list[str] | None:
    statuses = load_table("error_types.yaml").get("statuses") or {}
    return statuses.get(str(status)) or statuses.get(f"{str(status)[0]}XX")


@check(
    "error.envelope",
    family="errors",
    description="Every 4xx/5xx answers the JSON error envelope (non-empty message, string type, "
    "param and code string or null) and its type fits the status per spec/error_types.yaml.",
)
def error_envelope(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    response = exchange.response
    if response.status < 400 or exchange.request.method == "HEAD":
        return
    if not response.is_json:
        yield Finding(
            f"the {response.status} body is not JSON",
            expected=ENVELOPE,
            got=response.text(120) if response.content else "(empty body)",
        )
        return
    body = response.json()
    problems = envelope_problems(body)
    for path, message, got in problems:
        yield Finding(message, expected=ENVELOPE, got=excerpt(got), path=path)
    if problems or ctx.config.error_types == "off":
        return
    kind = body["error"]["type"]
    allowed = allowed_types(response.status)
    if allowed and kind not in allowed:
        yield Finding(
            f"error type {kind!r} does not fit status {response.status}",
            expected=" | ".join(allowed),
            got=kind,
            path="$.error.type",
            severity="error" if ctx.config.error_types == "strict" else "warning",
        )


AUTH_BREAKS = "auth: "  # the `breaks` label of a request sent without the run's credentials


@check(
    "auth.required",
    family="errors",
    description="A request without credentials, with a malformed Authorization header, or (on a real "
    "account) with a key that is not valid, is refused with 401 (the envelope is `error.envelope`'s).",
)
def auth_required(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    request, status = exchange.request, exchange.response.status
    breaks = str(request.breaks or "")
    if not breaks.startswith(AUTH_BREAKS) or status == 401:
        return
    yield Finding(
        f"a request with {breaks[len(AUTH_BREAKS) :]} was answered {status}, not refused",
        expected="401",
        got=f"{status} {exchange.response.text(120)}",
    )


@check(
    "negative.rejected",
    family="errors",
    description="A request labelled invalid gets a 4xx (with the envelope), never a 2xx or a 5xx.",
)
def negative_rejected(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    request, status = exchange.request, exchange.response.status
    if request.mode != "negative" or 400 <= status < 500 or str(request.breaks).startswith(AUTH_BREAKS):
        return  # (credentials are auth.required's)
    broken = f" (it breaks {request.breaks})" if request.breaks else ""
    yield Finding(
        f"an invalid request was answered {status}{broken}",
        expected="4xx",
        got=f"{status} {exchange.response.text(120)}",
    )


def sent_nulls(exchange: Exchange) -> list[str]:
    """The properties a positive request set to an explicit null on purpose (`Request.nulls`) that the
    body still holds as null when sent (the run's tag may have filled `metadata` in)."""
    request = exchange.request
    if request.mode != "positive" or not request.nulls:
        return []
    return [path for path in request.nulls if _null_at(request.body, path.split("."))]


def _null_at(body: Any, path: list[str]) -> bool:
    for key in path[:-1]:
        body = body.get(key) if isinstance(body, dict) else None
    return isinstance(body, dict) and path[-1] in body and body[path[-1]] is None


def rejection(ctx: Context, exchange: Exchange) -> str | None:
    """Why a positive request was answered 400/422 (the error's message and param, else the body);
    None when it was not, or the rejection is about a referenced object (state, not schema)."""
    status = exchange.response.status
    if exchange.request.mode != "positive" or status not in (400, 422):
        return None
    reason = exchange.response.text(160)
    error = _error_of(exchange)
    if isinstance(error, dict):
        if about_a_reference(error) or names_a_sent_id(ctx, exchange, error):
            return None
        if error.get("message"):
            reason = str(error["message"])[:160] + (
                f" (param {error['param']})" if error.get("param") else ""
            )
    return reason


def _error_of(exchange: Exchange) -> Any:
    body = exchange.response.json() if exchange.response.is_json else None
    return body.get("error") if isinstance(body, dict) else None


@check(
    "positive.accepted",
    family="errors",
    description="A request valid per the spec is not answered 400 or 422; a rejection about a referenced "
    "object (param `*_id`, code `*not_found`, or a sent ID field the message quotes) is state, not schema, "
    "and passes. (A request with explicit nulls is judged by positive.null_accepted.)",
)
def positive_accepted(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    if sent_nulls(exchange):
        return
    reason = rejection(ctx, exchange)
    if reason is not None:
        yield Finding(
            f"a valid request was rejected with {exchange.response.status}",
            expected="not 400/422",
            got=reason,
        )


@check(
    "positive.null_accepted",
    family="errors",
    description="A valid request that sets body properties the spec lets be null (3.0 `nullable`, 3.1 "
    '`type: [..., "null"]`, a `{type: null}` branch) to an explicit `null` is not answered 400 or 422; '
    "the positive phase sends one per operation. The message names the properties the error blames.",
)
def positive_null_accepted(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    nulls = sent_nulls(exchange)
    reason = rejection(ctx, exchange) if nulls else None
    if reason is None:
        return
    named = blamed(nulls, exchange) or nulls
    yield Finding(
        f"explicit null for {', '.join(named)} which the spec allows; got {exchange.response.status}",
        expected="not 400/422",
        got=reason,
    )


def blamed(nulls: list[str], exchange: Exchange) -> list[str]:
    """The nulled properties the error names: its `param` (`temperature`, `tool_resources.x`), a
    FastAPI-style `detail[].loc`, or the property's name as a word of the message."""
    error = _error_of(exchange)
    body = exchange.response.json() if exchange.response.is_json else None
    named: set[str] = set()
    if isinstance(error, dict):
        if isinstance(error.get("param"), str):
            named.add(".".join(p for p in re.split(r"[.\[\]]+", error["param"]) if p))
        text = str(error.get("message") or "")
    else:
        text = exchange.response.text(2000)
    details = body.get("detail") if isinstance(body, dict) else None
    for detail in details if isinstance(details, list) else []:
        loc = detail.get("loc") if isinstance(detail, dict) else None
        if isinstance(loc, list):
            named.add(".".join(str(p) for p in loc if p != "body"))
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", text))
    return [n for n in nulls if n in named or n in words]


@check(
    "server.error",
    family="errors",
    description="Any 5xx is a violation; the violation carries the request that reproduces it.",
)
def server_error(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    status = exchange.response.status
    if status >= 500:
        yield Finding(f"the server failed with {status}", expected="no 5xx", got=exchange.response.text(160))
