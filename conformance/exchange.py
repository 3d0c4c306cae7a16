"""A recorded request and response: what strategies produce, targets send, and checks judge.

The runner, the proxy and replay all hand checks the same `Exchange`, so a check never knows
where its traffic came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conformance.kinds import Mode

JSON = "application/json"


@dataclass
class Request:
    method: str  # upper case
    path: str  # concrete path below the base URL, e.g. "/threads/thread_abc/messages"
    operation_id: str | None = None
    path_template: str | None = None  # e.g. "/threads/{thread_id}/messages"
    path_params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)  # values: scalars or lists of scalars
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # a JSON value; for form media types a dict of fields
    files: dict[str, tuple[str, bytes, str]] | None = None  # multipart: field -> (filename, bytes, type)
    content: bytes | None = None  # a raw body; wins over `body`/`files` (malformed input)
    media_type: str | None = None  # the request's Content-Type (without parameters)
    mode: Mode = "positive"
    breaks: str | None = None  # negative requests: the constraint broken, e.g. "required: model"
    nulls: tuple[str, ...] = ()  # positive requests: body properties set to an explicit null the spec allows

    def describe(self) -> str:
        text = f"{self.method} {self.path}"
        if self.breaks:
            text += f" (breaks {self.breaks})"
        if self.nulls:
            text += f" (explicit null: {', '.join(self.nulls)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "operation_id": self.operation_id,
            "query": self.query,
            "headers": self.headers,
            "media_type": self.media_type,
            "mode": self.mode,
            "breaks": self.breaks,
        }
        if self.nulls:
            data["nulls"] = list(self.nulls)
        if self.content is not None:
            data["content"] = self.content.decode("utf-8", errors="replace")
        elif self.body is not None:
            data["body"] = self.body
        if self.files:
            data["files"] = {k: [name, len(blob), kind] for k, (name, blob, kind) in self.files.items()}
        return data


@dataclass
class SSEEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)

    def encode(self) -> bytes:
        """The event as it goes on the wire, with its closing blank line."""
        lines = [
            f"{name}: {value}"
            for name, value in (("event", self.event), ("id", self.id), ("retry", self.retry))
            if value is not None
        ]
        lines += [f"data: {line}" for line in self.data.split("\n")]
        return ("\n".join(lines) + "\n\n").encode()


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    content: bytes = b""
    elapsed: float = 0.0  # seconds
    events: list[SSEEvent] | None = None  # parsed events when the body is text/event-stream
    stream_error: str | None = None  # a stream cut short: deadline passed, connection dropped

    @property
    def media_type(self) -> str | None:
        value = self.headers.get("content-type")
        return value.split(";")[0].strip().lower() if value else None

    @cached_property
    def _json(self) -> tuple[bool, Any]:
        try:
            return True, json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            return False, None

    @property
    def is_json(self) -> bool:
        return self._json[0]

    def json(self) -> Any:
        ok, value = self._json
        if not ok:
            raise ValueError("response body is not JSON")
        return value

    def text(self, limit: int | None = None) -> str:
        text = self.content.decode("utf-8", errors="replace")
        return text if limit is None or len(text) <= limit else text[:limit] + "…"


@dataclass
class Exchange:
    request: Request
    response: Response

    @property
    def operation_id(self) -> str | None:
        return self.request.operation_id
