"""Hand-made bodies that conform to the real spec (each is validated in test_bodies.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

from conformance.exchange import Exchange, Request, Response, SSEEvent

NOW = 1_730_000_000


def assistant(id: str = "asst_abc123", created_at: int = NOW, **extra: Any) -> dict[str, Any]:
    body = {
        "id": id,
        "object": "assistant",
        "created_at": created_at,
        "name": "Math Tutor",
        "description": None,
        "model": "gpt-4o",
        "instructions": None,
        "tools": [],
        "tool_resources": {},
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "response_format": "auto",
    }
    body.update(extra)
    return body


def assistant_list(items: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0].get("id") if items else None,
        "last_id": items[-1].get("id") if items else None,
        "has_more": has_more,
    }


def error(
    message: str = "No assistant found with id 'asst_x'.", type: str = "invalid_request_error", **extra: Any
) -> dict:
    return {"error": {"message": message, "type": type, "param": None, "code": None, **extra}}


def exchange(
    method: str,
    path: str,
    status: int,
    body: Any = None,
    *,
    operation_id: str | None = None,
    request_body: Any = None,
    query: dict[str, Any] | None = None,
    path_params: dict[str, Any] | None = None,
    mode: str = "positive",
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    events: list[SSEEvent] | None = None,
) -> Exchange:
    response_headers = {"x-request-id": "req_123"}
    if content_type:
        response_headers["content-type"] = content_type
    response_headers.update(headers or {})
    if content is None:
        content = b"" if body is None else json.dumps(body).encode()
    request = Request(
        method,
        path,
        operation_id=operation_id,
        body=request_body,
        query=query or {},
        path_params=path_params or {},
        mode=mode,
    )
    return Exchange(request, Response(status, response_headers, content, events=events))


# -- streams -------------------------------------------------------------------------------------


def chat_chunks(text: str = "Hello there", include_usage: bool = False) -> list[dict[str, Any]]:
    base = {
        "id": "chatcmpl-abc123",
        "object": "chat.completion.chunk",
        "created": NOW,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_1",
    }
    pieces = [text[i : i + 4] for i in range(0, len(text), 4)]
    chunks = [
        dict(
            base,
            choices=[
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ],
        )
    ]
    for piece in pieces:
        chunks.append(
            dict(
                base,
                choices=[{"index": 0, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}],
            )
        )
    chunks.append(dict(base, choices=[{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
    if include_usage:
        for chunk in chunks:
            chunk["usage"] = None
        chunks.append(
            dict(base, choices=[], usage={"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12})
        )
    return chunks


def data_events(payloads: list[Any], done: bool = True) -> list[SSEEvent]:
    events = [SSEEvent(data=json.dumps(p)) for p in payloads]
    return events + [SSEEvent(data="[DONE]")] if done else events


def response_object(
    status: str = "in_progress", output: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "id": "resp_abc123",
        "object": "response",
        "created_at": NOW,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": "gpt-4o-2024-08-06",
        "output": output or [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "metadata": {},  # no `usage` until completed: the spec does not allow null there
    }


def response_events(text: str = "Hi there!") -> list[dict[str, Any]]:
    """A Responses API stream: created, in_progress, one message with text deltas, completed."""
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    item = {
        "id": "msg_abc123",
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    done_part = dict(part, text=text)
    done_item = dict(item, status="completed", content=[done_part])
    deltas = [text[i : i + 3] for i in range(0, len(text), 3)]
    where = {"item_id": "msg_abc123", "output_index": 0, "content_index": 0}
    events = [
        {"type": "response.created", "response": response_object()},
        {"type": "response.in_progress", "response": response_object()},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.content_part.added", **where, "part": part},
        *({"type": "response.output_text.delta", **where, "delta": d, "logprobs": []} for d in deltas),
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": done_part},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {
            "type": "response.completed",
            "response": dict(response_object("completed", [done_item]), usage=usage()),
        },
    ]
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return copy.deepcopy(events)


def usage() -> dict[str, Any]:
    return {
        "input_tokens": 5,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 3,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 8,
    }


def typed_events(payloads: list[dict[str, Any]]) -> list[SSEEvent]:
    return [SSEEvent(data=json.dumps(p), event=p.get("type")) for p in payloads]


def thread(id: str = "thread_abc123") -> dict[str, Any]:
    return {"id": id, "object": "thread", "created_at": NOW, "tool_resources": None, "metadata": {}}


def run(status: str, id: str = "run_abc123") -> dict[str, Any]:
    terminal = status in ("completed", "failed", "cancelled", "expired", "incomplete")
    return {
        "id": id,
        "object": "thread.run",
        "created_at": NOW,
        "thread_id": "thread_abc123",
        "assistant_id": "asst_abc123",
        "status": status,
        "required_action": None,
        "last_error": None,
        "expires_at": None if terminal else NOW + 600,
        "started_at": None if status in ("queued",) else NOW + 1,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": NOW + 5 if status == "completed" else None,
        "incomplete_details": None,
        "model": "gpt-4o",
        "instructions": "",
        "tools": [],
        "metadata": {},
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8} if terminal else None,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_prompt_tokens": None,
        "max_completion_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "response_format": "auto",
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }


def message(status: str, text: str = "", id: str = "msg_abc123") -> dict[str, Any]:
    content = [{"type": "text", "text": {"value": text, "annotations": []}}] if status == "completed" else []
    return {
        "id": id,
        "object": "thread.message",
        "created_at": NOW,
        "thread_id": "thread_abc123",
        "status": status,
        "incomplete_details": None,
        "completed_at": NOW + 4 if status == "completed" else None,
        "incomplete_at": None,
        "role": "assistant",
        "content": content,
        "assistant_id": "asst_abc123",
        "run_id": "run_abc123",
        "attachments": [],
        "metadata": {},
    }


def message_delta(piece: str, id: str = "msg_abc123") -> dict[str, Any]:
    return {
        "id": id,
        "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": piece, "annotations": []}}]},
    }


def assistant_events(text: str = "Hello!") -> list[SSEEvent]:
    """createThreadAndRun with stream: true, as the API reference describes it."""
    pairs: list[tuple[str, Any]] = [
        ("thread.created", thread()),
        ("thread.run.created", run("queued")),
        ("thread.run.queued", run("queued")),
        ("thread.run.in_progress", run("in_progress")),
        ("thread.message.created", message("in_progress")),
        ("thread.message.in_progress", message("in_progress")),
        *(("thread.message.delta", message_delta(text[i : i + 3])) for i in range(0, len(text), 3)),
        ("thread.message.completed", message("completed", text)),
        ("thread.run.completed", run("completed")),
    ]
    events = [SSEEvent(data=json.dumps(data), event=name) for name, data in pairs]
    return events + [SSEEvent(data="[DONE]", event="done")]
