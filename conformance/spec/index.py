"""The operation index: what every other part asks about an operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.spec.normalize import HTTP_METHODS
from conformance.spec.overlays import OVERLAY_KEY
from conformance.spec.refs import deref, schema_properties

CURSOR_PARAMS = ("after", "before")
SSE = "text/event-stream"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class ResponseSpec:
    status: str  # "200", "4XX", "default"
    content: dict[str, dict[str, Any] | None]  # media type -> schema (None when absent)
    headers: dict[str, Any]
    overlay: str | None  # the overlay that added it, None when the spec declares it


@dataclass(frozen=True)
class Operation:
    id: str
    method: str  # upper case
    path: str
    tags: tuple[str, ...]
    summary: str
    parameters: tuple[Parameter, ...]
    request_bodies: dict[str, dict[str, Any]]  # media type -> schema
    body_required: bool
    responses: dict[str, ResponseSpec]
    deprecated: bool
    paginated: bool
    streams: bool
    extra_query: dict[str, str] = field(default_factory=dict)  # e.g. {"beta": "true"}
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def param(self, name: str, location: str | None = None) -> Parameter | None:
        for p in self.parameters:
            if p.name == name and (location is None or p.location == location):
                return p
        return None

    def response_for(self, status: int) -> ResponseSpec | None:
        """The declared response for a status: exact code, then `4XX`-style range, then `default`."""
        text = str(status)
        return self.responses.get(text) or self.responses.get(f"{text[0]}XX") or self.responses.get("default")

    def success_statuses(self) -> list[str]:
        return [s for s in self.responses if s.startswith("2")]


def build_index(document: dict[str, Any]) -> list[Operation]:
    operations = []
    for path, item in (document.get("paths") or {}).items():
        item = deref(document, item)
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            raw = item.get(method)
            if isinstance(raw, dict):
                operations.append(_operation(document, path, method, raw, shared))
    return operations


def _operation(doc: dict[str, Any], path: str, method: str, raw: dict[str, Any], shared: list) -> Operation:
    params: dict[tuple[str, str], Parameter] = {}
    for p in [*shared, *(raw.get("parameters") or [])]:
        p = deref(doc, p)
        if isinstance(p, dict) and "name" in p and "in" in p:
            schema = p.get("schema") or _content_schema(p.get("content")) or {}
            params[(p["name"], p["in"])] = Parameter(
                p["name"], p["in"], bool(p.get("required") or p["in"] == "path"), schema
            )
    body = deref(doc, raw.get("requestBody") or {})
    bodies = {mt: (media or {}).get("schema") or {} for mt, media in (body.get("content") or {}).items()}
    responses = {}
    for status, response in (raw.get("responses") or {}).items():
        response = deref(doc, response) or {}
        content = {mt: (media or {}).get("schema") for mt, media in (response.get("content") or {}).items()}
        responses[str(status)] = ResponseSpec(
            str(status), content, response.get("headers") or {}, response.get(OVERLAY_KEY)
        )
    parameters = tuple(params.values())
    op_id = raw.get("operationId") or f"{method.upper()} {path}"
    return Operation(
        id=op_id,
        method=method.upper(),
        path=path,
        tags=tuple(raw.get("tags") or ()),
        summary=raw.get("summary") or "",
        parameters=parameters,
        request_bodies=bodies,
        body_required=bool(body.get("required")),
        responses=responses,
        deprecated=bool(raw.get("deprecated")),
        paginated=_is_paginated(doc, parameters, responses),
        streams=any(SSE in r.content for r in responses.values()),
        extra_query=dict(raw.get("x-conformance-query") or {}),
        raw=raw,
    )


def _content_schema(content: dict[str, Any] | None) -> dict[str, Any] | None:
    for media in (content or {}).values():
        return (media or {}).get("schema")
    return None


def _is_paginated(
    doc: dict[str, Any], params: tuple[Parameter, ...], responses: dict[str, ResponseSpec]
) -> bool:
    if not any(p.location == "query" and p.name in CURSOR_PARAMS for p in params):
        return False
    for status, response in responses.items():
        schema = response.content.get("application/json") if status.startswith("2") else None
        if schema is not None and _is_list_envelope(doc, schema):
            return True
    return False


def _is_list_envelope(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    props = schema_properties(doc, schema)
    data = deref(doc, props.get("data")) or {}
    return "object" in props and "has_more" in props and _has_type(data, "array")


def _has_type(schema: dict[str, Any], kind: str) -> bool:
    declared = schema.get("type")
    return (
        declared == kind
        or (isinstance(declared, list) and kind in declared)
        or (kind == "array" and "items" in schema)
    )
