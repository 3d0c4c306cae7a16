"""Fault injection: named ways a real server breaks the API's contracts, wrapped around the emulator.

A conformance suite is only as good as the faults it catches. Each `Fault` here breaks one contract
the way a real OpenAI-compatible server does (a dropped field, `last_id` off by one, a stream without
`[DONE]`, an object still there after its delete) and names the check expected to catch it, so the
detection power of the suite is a number (`benchmarks/detection.py`, `docs/faults.md`).

    app = create_app(faults=["stream-without-done", "limit-ignored"])
    openai-conformance emulator --fault stream-without-done

Faults act in an ASGI middleware around the emulator (`install`, `conformance.emulator.fault_middleware`): a fault may rewrite the request
before the emulator sees it (`before`) and the buffered response after (`after`), so the emulator's
own code stays correct. Faults that need memory (the body of a deleted object) keep it in
`Call.memory`, private to the fault and the app.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from conformance.emulator.fault_middleware import JSON, Call, Fault, FaultMiddleware, Hook
from conformance.errors import ConformanceError
from conformance.exchange import SSEEvent

SSE = "text/event-stream"


FAULTS: dict[str, Fault] = {}


def fault(
    name: str,
    *,
    family: str,
    check: str,
    operations: Iterable[str],
    phases: Iterable[str] | None = None,
    scenarios: Iterable[str] = (),
    stage: str = "after",
) -> Callable[[Hook], Hook]:
    """Register a hook as a named fault; its docstring is the fault's description.

    `phases` default to the "scenarios" phase when `scenarios` are named, else to "positive".
    """
    scenarios = tuple(scenarios)
    phases = tuple(phases or (("scenarios",) if scenarios else ("positive",)))

    def register(hook: Hook) -> Hook:
        if name in FAULTS:
            raise ValueError(f"fault {name!r} is registered twice")
        FAULTS[name] = Fault(
            name,
            family,
            check,
            " ".join((hook.__doc__ or "").split()),
            tuple(operations),
            phases,
            scenarios,
            **{stage: hook},
        )
        return hook

    return register


def resolve(names: Iterable[str]) -> list[Fault]:
    """The faults named, in order; an unknown name is a usage error (exit 2) listing the known ones."""
    chosen: list[Fault] = []
    for name in names:
        if name not in FAULTS:
            raise ConformanceError(f"unknown fault {name!r} (known: {', '.join(sorted(FAULTS))})")
        if FAULTS[name] not in chosen:
            chosen.append(FAULTS[name])
    return chosen


def install(app: Any, names: Iterable[str]) -> list[Fault]:
    """Wrap an emulator app (from `create_app`) in the named faults; returns them.

    `app.state.fault_hits` maps each fault to the requests it changed ("GET /v1/models?limit=2"),
    so a benchmark can tell a finding the fault caused from an unrelated one.
    """
    faults = resolve(names)
    if faults:
        app.state.faults = [f.name for f in faults]
        app.state.fault_hits = {f.name: [] for f in faults}
        app.add_middleware(
            FaultMiddleware,
            faults=faults,
            router=app.state.emulator.router,
            base_path=app.state.settings.base_path,
            hits=app.state.fault_hits,
        )
    return faults


# -- helpers -------------------------------------------------------------------------------------


def _object(call: Call, kind: str) -> dict[str, Any] | None:
    """The 2xx JSON body when it is one object of `kind` (its `object` field)."""
    body = call.json() if call.ok else None
    return body if isinstance(body, dict) and body.get("object") == kind else None


def _list(call: Call) -> dict[str, Any] | None:
    body = call.json() if call.ok else None
    return body if isinstance(body, dict) and isinstance(body.get("data"), list) else None


def _error(call: Call) -> dict[str, Any] | None:
    body = call.json() if call.status >= 400 else None
    return body if isinstance(body, dict) and isinstance(body.get("error"), dict) else None


def _typed_events(call: Call) -> list[tuple[SSEEvent, dict[str, Any] | None]]:
    out: list[tuple[SSEEvent, dict[str, Any] | None]] = []
    for event in call.events():
        try:
            payload = event.json()
        except ValueError:
            payload = None
        out.append((event, payload if isinstance(payload, dict) else None))
    return out


def _is_stream(call: Call) -> bool:
    return call.ok and call.media_type == SSE


# -- schema --------------------------------------------------------------------------------------


@fault(
    "missing-required-field",
    family="schema",
    check="response.schema",
    operations=("createAssistant", "getAssistant"),
)
def missing_required_field(call: Call) -> None:
    """An assistant comes back without `created_at`, a field the spec requires (a serializer that
    skips unset fields)."""
    body = _object(call, "assistant")
    if body is not None and "created_at" in body:
        del body["created_at"]
        call.set_json(body)


@fault("wrong-field-type", family="schema", check="response.schema", operations=("createChatCompletion",))
def wrong_field_type(call: Call) -> None:
    """A chat completion's `created` is an ISO date string instead of integer Unix seconds."""
    body = _object(call, "chat.completion")
    if body is not None:
        body["created"] = "2024-05-13T12:00:00Z"
        call.set_json(body)


@fault("enum-out-of-range", family="schema", check="response.schema", operations=("createChatCompletion",))
def enum_out_of_range(call: Call) -> None:
    """`finish_reason` is "end_turn", a value outside its enum (a proxy translating another vendor's
    stop reasons)."""
    body = _object(call, "chat.completion")
    if body is not None and body.get("choices"):
        for choice in body["choices"]:
            choice["finish_reason"] = "end_turn"
        call.set_json(body)


@fault("wrong-object-constant", family="schema", check="response.schema", operations=("createAssistant",))
def wrong_object_constant(call: Call) -> None:
    """An assistant says `"object": "assistants"`, not the constant "assistant"."""
    body = _object(call, "assistant")
    if body is not None:
        body["object"] = "assistants"
        call.set_json(body)


@fault("null-not-nullable", family="schema", check="response.schema", operations=("retrieveModel",))
def null_not_nullable(call: Call) -> None:
    """A model's `owned_by` is null, although the spec declares a non-nullable string."""
    body = _object(call, "model")
    if body is not None:
        body["owned_by"] = None
        call.set_json(body)


@fault("list-without-object", family="schema", check="response.schema", operations=("listModels",))
def list_without_object(call: Call) -> None:
    """A list answer has no `"object": "list"` (a bare `{data: [...]}` envelope)."""
    body = _list(call)
    if body is not None and "object" in body:
        del body["object"]
        call.set_json(body)


# -- errors --------------------------------------------------------------------------------------


@fault(
    "error-without-type",
    family="errors",
    check="error.envelope",
    operations=("createAssistant",),
    phases=("negative",),
)
def error_without_type(call: Call) -> None:
    """Error envelopes lack `error.type`."""
    body = _error(call)
    if body is not None:
        body["error"].pop("type", None)
        call.set_json(body)


@fault(
    "plain-text-error",
    family="errors",
    check="error.envelope",
    operations=("createAssistant",),
    phases=("negative",),
)
def plain_text_error(call: Call) -> None:
    """4xx errors answer a plain-text body ("Bad Request") instead of the JSON error envelope."""
    if 400 <= call.status < 500:
        call.set_text(f"{call.status} Bad Request", "text/plain; charset=utf-8")


@fault(
    "empty-404", family="errors", check="error.envelope", operations=("getAssistant",), phases=("negative",)
)
def empty_404(call: Call) -> None:
    """A 404 comes with an empty body."""
    if call.status == 404:
        call.content = b""


@fault("500-on-edge-input", family="errors", check="server.error", operations=("createAssistant",))
def server_error_on_edge(call: Call) -> None:
    """A valid body holding an empty string crashes the server with a 500."""
    if call.method == "POST" and _has_empty_string(call.request_json()):
        call.set_json(
            {
                "error": {
                    "message": "Internal server error",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            },
            status=500,
        )


def _has_empty_string(value: Any) -> bool:
    if value == "":
        return True
    if isinstance(value, dict):
        return any(_has_empty_string(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_empty_string(v) for v in value)
    return False


@fault(
    "invalid-accepted",
    family="errors",
    check="negative.rejected",
    operations=("createAssistant",),
    phases=("negative",),
)
def invalid_accepted(call: Call) -> None:
    """A server without input validation: a body the emulator rejects with 400 is answered 200."""
    if call.method == "POST" and call.status in (400, 422):
        sent = call.request_json()
        call.set_json({"id": "asst_unvalidated", **(sent if isinstance(sent, dict) else {})}, status=200)


@fault("valid-rejected", family="errors", check="positive.accepted", operations=("createAssistant",))
def valid_rejected(call: Call) -> None:
    """An over-strict server rejects the optional `metadata` argument with 400."""
    body = call.request_json()
    if call.method == "POST" and isinstance(body, dict) and "metadata" in body and call.ok:
        call.set_json(
            {
                "error": {
                    "message": "Unrecognized request argument supplied: metadata",
                    "type": "invalid_request_error",
                    "param": "metadata",
                    "code": None,
                }
            },
            status=400,
        )


@fault("null-rejected", family="errors", check="positive.null_accepted", operations=("createAssistant",))
def null_rejected(call: Call) -> None:
    """A server that types an optional field as non-null (`description: str = ""`) rejects an explicit
    `"description": null`, which the spec allows, with 422."""
    body = call.request_json()
    if call.method == "POST" and isinstance(body, dict) and body.get("description", "") is None and call.ok:
        call.set_json(
            {
                "error": {
                    "message": "Invalid type for 'description': expected a string, but got null instead.",
                    "type": "invalid_request_error",
                    "param": "description",
                    "code": "invalid_type",
                }
            },
            status=422,
        )


# -- http ----------------------------------------------------------------------------------------


@fault("wrong-content-type", family="http", check="response.content_type", operations=("listModels",))
def wrong_content_type(call: Call) -> None:
    """JSON answers are labelled `text/html; charset=utf-8` (a framework default)."""
    if call.ok and call.media_type == JSON:
        call.headers["content-type"] = "text/html; charset=utf-8"


@fault("missing-request-id", family="http", check="response.headers", operations=("listModels",))
def missing_request_id(call: Call) -> None:
    """Answers carry no `x-request-id` header."""
    call.headers.pop("x-request-id", None)


@fault("created-201", family="http", check="response.schema", operations=("createAssistant",))
def created_201(call: Call) -> None:
    """Creates answer 201 Created where the API (and its spec) answers 200."""
    if call.method == "POST" and call.status == 200 and call.operation_id == "createAssistant":
        call.status = 201


@fault(
    "delete-204", family="http", check="response.schema", operations=("createAssistant", "deleteAssistant")
)
def delete_204(call: Call) -> None:
    """Deletes answer 204 No Content instead of 200 with the deletion object."""
    if call.method == "DELETE" and call.ok:
        call.status, call.content = 204, b""
        call.headers.pop("content-type", None)


@fault(
    "stream-content-type", family="http", check="response.content_type", operations=("createChatCompletion",)
)
def stream_content_type(call: Call) -> None:
    """A stream is labelled `application/json` instead of `text/event-stream`."""
    if _is_stream(call):
        call.headers["content-type"] = JSON


# -- pagination ----------------------------------------------------------------------------------


@fault(
    "wrong-last-id",
    family="pagination",
    check="pagination.page",
    operations=("createAssistant", "listAssistants"),
    scenarios=("pagination-listAssistants",),
)
def wrong_last_id(call: Call) -> None:
    """`last_id` is the first item's id, not the last one's (an off-by-one in the cursor)."""
    body = _list(call)
    if body is not None and len(body["data"]) > 1 and "last_id" in body:
        body["last_id"] = body["data"][0].get("id")
        call.set_json(body)


@fault(
    "first-id-null",
    family="pagination",
    check="pagination.page",
    operations=("createAssistant", "listAssistants"),
    scenarios=("pagination-listAssistants",),
)
def first_id_null(call: Call) -> None:
    """`first_id` is null on a page that has items."""
    body = _list(call)
    if body is not None and body["data"] and "first_id" in body:
        body["first_id"] = None
        call.set_json(body)


@fault(
    "limit-ignored",
    family="pagination",
    check="pagination.page",
    operations=("createAssistant", "listAssistants"),
    scenarios=("pagination-listAssistants",),
    stage="before",
)
def limit_ignored(call: Call) -> None:
    """`limit` is ignored: every page has the default size."""
    if call.method == "GET":
        call.query.pop("limit", None)


@fault(
    "order-ignored",
    family="pagination",
    check="pagination.page",
    operations=("createAssistant", "listAssistants"),
    scenarios=("pagination-listAssistants",),
    stage="before",
)
def order_ignored(call: Call) -> None:
    """`order` is ignored: lists always come oldest first."""
    if call.method == "GET" and "order" in call.query:
        call.query["order"] = "asc"


@fault(
    "terminal-status-reverts-on-read",
    family="lifecycle",
    check="lifecycle.terminal",
    operations=("createThreadAndRun", "getRun"),
    scenarios=("thread-and-run",),
)
def terminal_status_reverts(call: Call) -> None:
    """A run read as `completed` reads back as `in_progress` on the next retrieve (a replica or cache
    that serves an older copy after a newer one)."""
    body = _object(call, "thread.run")
    if body is None or call.method != "GET":
        return
    seen: set[str] = call.memory.setdefault("completed", set())
    if body["id"] in seen:
        call.set_json({**body, "status": "in_progress", "completed_at": None, "usage": None})
    elif body.get("status") == "completed":
        seen.add(body["id"])


@fault(
    "auth-not-required",
    family="errors",
    check="auth.required",
    operations=("listModels",),
    phases=("negative",),
    stage="before",
)
def auth_not_required(call: Call) -> None:
    """Requests without an API key, or with an Authorization header that is no Bearer key, are served
    like any other (a server started without its key, or an auth middleware on the wrong routes)."""
    scheme, _, key = call.request_headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        call.request_headers["authorization"] = "Bearer sk-anyone"


@fault(
    "has-more-on-last-page",
    family="pagination",
    check="pagination.traversal",
    operations=("createAssistant", "listAssistants"),
    scenarios=("pagination-listAssistants",),
)
def has_more_stuck(call: Call) -> None:
    """`has_more` is always true, even on the last page, so clients never stop paging."""
    body = _list(call)
    if body is not None and "has_more" in body:
        body["has_more"] = True
        call.set_json(body)


@fault(
    "repeated-item-across-pages",
    family="pagination",
    check="pagination.traversal",
    operations=("createAssistant", "listAssistants"),
    scenarios=("pagination-listAssistants",),
)
def repeated_item(call: Call) -> None:
    """The `after` cursor is inclusive: each next page starts again with the previous page's last item."""
    body = _list(call)
    if body is None:
        return
    seen: dict[str, Any] = call.memory.setdefault("items", {})
    for item in body["data"]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            seen[item["id"]] = item
    cursor = call.query.get("after")
    if cursor in seen and body["data"] and body["data"][0].get("id") != cursor:
        size = int(call.query["limit"]) if call.query.get("limit", "").isdigit() else len(body["data"])
        body["data"] = [seen[cursor], *body["data"]][: max(size, 1)]
        body["first_id"] = cursor
        body["last_id"] = body["data"][-1].get("id")
        call.set_json(body)


# -- lifecycle -----------------------------------------------------------------------------------


@fault(
    "deleted-still-retrievable",
    family="lifecycle",
    check="lifecycle.use_after_delete",
    operations=("createAssistant", "getAssistant", "deleteAssistant"),
    phases=("stateful",),
)
def deleted_still_retrievable(call: Call) -> None:
    """A deleted object can still be fetched (a soft delete that reads ignore)."""
    seen: dict[str, bytes] = call.memory.setdefault("bodies", {})
    if call.method == "GET" and call.ok and call.json() is not None:
        seen[call.path] = call.content
    elif call.method == "DELETE" and call.ok:
        call.memory.setdefault("deleted", set()).add(call.path)
    elif call.method == "GET" and call.status == 404 and call.path in call.memory.get("deleted", ()):
        call.status, call.content = 200, seen.get(call.path, call.content)
        call.headers["content-type"] = JSON


@fault(
    "delete-not-deleted",
    family="lifecycle",
    check="object.invariants",
    operations=("createAssistant", "deleteAssistant"),
)
def delete_not_deleted(call: Call) -> None:
    """A delete answers `"deleted": false` although the object is gone."""
    body = call.json() if call.ok and call.method == "DELETE" else None
    if isinstance(body, dict) and body.get("deleted") is True:
        body["deleted"] = False
        call.set_json(body)


@fault(
    "wrong-object-returned",
    family="lifecycle",
    check="object.invariants",
    operations=("createAssistant", "getAssistant"),
)
def wrong_object_returned(call: Call) -> None:
    """Retrieving an assistant answers the first assistant ever created (a cache keyed on the route)."""
    body = _object(call, "assistant")
    if body is None or call.method != "GET":
        return
    first = call.memory.setdefault("first", call.content)
    if first != call.content:
        call.content = first


@fault(
    "metadata-not-kept",
    family="lifecycle",
    check="object.invariants",
    operations=("createAssistant", "modifyAssistant"),
    phases=("positive", "stateful"),
    stage="before",
)
def metadata_not_kept(call: Call) -> None:
    """A modify silently drops `metadata`: the answer still shows the old metadata."""
    body = call.request_json()
    if (
        call.method == "POST"
        and call.path.count("/") >= 2
        and isinstance(body, dict)
        and body.get("metadata")
    ):
        del body["metadata"]
        call.set_request_json(body)


@fault(
    "timestamps-in-milliseconds", family="lifecycle", check="object.invariants", operations=("retrieveModel",)
)
def timestamps_in_milliseconds(call: Call) -> None:
    """Timestamps are in milliseconds (JavaScript's `Date.now()`), not Unix seconds."""
    body = _object(call, "model")
    if body is not None and isinstance(body.get("created"), int):
        body["created"] *= 1000
        call.set_json(body)


@fault("usage-mismatch", family="lifecycle", check="object.invariants", operations=("createChatCompletion",))
def usage_mismatch(call: Call) -> None:
    """`usage.total_tokens` is not `prompt_tokens + completion_tokens` (cached tokens counted twice)."""
    body = _object(call, "chat.completion")
    usage = body.get("usage") if body is not None else None
    if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
        usage["total_tokens"] += max(1, usage.get("prompt_tokens") or 0)
        call.set_json(body)


@fault(
    "terminal-state-changes",
    family="lifecycle",
    check="lifecycle.terminal",
    operations=(
        "createAssistant",
        "createThread",
        "createMessage",
        "createRun",
        "getRun",
        "submitToolOuputsToRun",
    ),
    scenarios=("assistants-workflow",),
)
def terminal_state_changes(call: Call) -> None:
    """A completed run accepts tool outputs again and goes back to `queued` (a terminal state that
    changes) instead of refusing them with 400."""
    runs: dict[str, Any] = call.memory.setdefault("completed", {})
    body = _object(call, "thread.run")
    if body is not None and body.get("status") == "completed":
        runs[body["id"]] = body
    run_id = call.path.rstrip("/").split("/")[-2] if call.path.endswith("/submit_tool_outputs") else None
    if call.method == "POST" and call.status == 400 and run_id in runs:
        call.set_json({**runs[run_id], "status": "queued", "completed_at": None}, status=200)


@fault(
    "cancel-after-terminal",
    family="lifecycle",
    check="lifecycle.cancel",
    operations=("createAssistant", "createThread", "createMessage", "createRun", "getRun", "cancelRun"),
    scenarios=("assistants-cancel",),
)
def cancel_after_terminal(call: Call) -> None:
    """Cancelling a run that already ended answers 200 with the run, instead of a 400 error."""
    if call.method == "POST" and call.path.endswith("/cancel") and call.status == 400:
        call.set_json(
            call.memory.get(call.path, {"id": call.path.split("/")[-2], "object": "thread.run"}), 200
        )
    elif call.method == "POST" and call.path.endswith("/cancel") and call.ok:
        call.memory[call.path] = call.json()


@fault(
    "completed-at-missing",
    family="lifecycle",
    check="lifecycle.fields",
    operations=(
        "createAssistant",
        "createThread",
        "createMessage",
        "createRun",
        "getRun",
        "submitToolOuputsToRun",
    ),
    scenarios=("assistants-workflow",),
)
def completed_at_missing(call: Call) -> None:
    """A completed run has no `completed_at` (the field is only filled in by a background job)."""
    body = _object(call, "thread.run")
    if body is not None and body.get("status") == "completed":
        body["completed_at"] = None
        call.set_json(body)


@fault(
    "deleted-still-listed",
    family="lifecycle",
    check="lifecycle.stale_list",
    operations=("createAssistant", "getAssistant", "modifyAssistant", "deleteAssistant", "listAssistants"),
    scenarios=("crud-assistants",),
)
def deleted_still_listed(call: Call) -> None:
    """Deleted objects stay in list answers (a list cache that deletes do not invalidate)."""
    bodies: dict[str, Any] = call.memory.setdefault("bodies", {})
    gone: dict[str, list[Any]] = call.memory.setdefault("gone", {})
    body = call.json() if call.ok else None
    if call.method in ("GET", "POST") and isinstance(body, dict) and isinstance(body.get("id"), str):
        bodies[call.path] = body
    if call.method == "DELETE" and call.ok and call.path in bodies:
        gone.setdefault(call.path.rsplit("/", 1)[0], []).append(bodies.pop(call.path))
    page = _list(call)
    if call.method == "GET" and page is not None and gone.get(call.path):
        page["data"] = [*page["data"], *gone[call.path]]
        page["last_id"] = page["data"][-1].get("id")
        call.set_json(page)


@fault(
    "lost-update",
    family="lifecycle",
    check="lifecycle.lost_update",
    operations=("createAssistant", "getAssistant", "modifyAssistant", "deleteAssistant", "listAssistants"),
    scenarios=("crud-assistants",),
)
def lost_update(call: Call) -> None:
    """A retrieve keeps answering the object as it was first read: later modifies are lost to readers
    (a read cache without invalidation)."""
    first: dict[str, bytes] = call.memory.setdefault("first", {})
    if call.method == "GET" and call.ok and _object(call, "assistant") is not None:
        call.content = first.setdefault(call.path, call.content)


# -- streaming -----------------------------------------------------------------------------------


@fault("stream-event-after-terminal", family="streaming", check="sse.stream", operations=("createResponse",))
def stream_event_after_terminal(call: Call) -> None:
    """A response that reached `response.completed` goes back to `in_progress` in its event stream
    (a retried generation reusing the stream)."""
    if not _is_stream(call):
        return
    blocks = _typed_events(call)
    for i, (_, payload) in enumerate(blocks):
        if payload is not None and payload.get("type") == "response.completed":
            again = {**payload, "type": "response.in_progress", "sequence_number": len(blocks)}
            if isinstance(again.get("response"), dict):
                again["response"] = {**again["response"], "status": "in_progress"}
            events = [event for event, _ in blocks]
            events.insert(i + 1, SSEEvent(json.dumps(again), event="response.in_progress"))
            call.set_events(events)
            return


@fault("stream-without-done", family="streaming", check="sse.stream", operations=("createChatCompletion",))
def stream_without_done(call: Call) -> None:
    """A chat stream ends without the `data: [DONE]` sentinel."""
    if _is_stream(call):
        call.set_events([e for e in call.events() if e.data.strip() != "[DONE]"])


@fault("stream-out-of-order", family="streaming", check="sse.stream", operations=("createResponse",))
def stream_out_of_order(call: Call) -> None:
    """A Responses stream sends `response.created` after the first deltas (events out of order)."""
    if not _is_stream(call):
        return
    blocks = call.events()
    if len(blocks) > 2:
        blocks[0], blocks[1] = blocks[1], blocks[0]
        call.set_events(blocks)


@fault(
    "stream-chunk-wrong-object",
    family="streaming",
    check="sse.stream",
    operations=("createChatCompletion",),
)
def stream_chunk_wrong_object(call: Call) -> None:
    """Chat stream chunks say `"object": "chat.completion"` instead of "chat.completion.chunk"."""
    if not _is_stream(call):
        return
    events = []
    for event, payload in _typed_events(call):
        if payload is not None and payload.get("object") == "chat.completion.chunk":
            payload["object"] = "chat.completion"
            event = SSEEvent(json.dumps(payload), event=event.event)
        events.append(event)
    call.set_events(events)
