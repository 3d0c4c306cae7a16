"""Each oracle fires on an emulator broken (by a response-rewriting middleware) in exactly its contract."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from conformance.emulator import create_app
from conformance.scenarios.flow import Polling
from conformance.spec import Spec
from tests.scenarios.support import checks_of

SHORT = Polling(interval=0.0, timeout=5.0, max_polls=6, backoff=1.0, max_interval=0.0)
RUN = re.compile(r"^/v1/threads/[^/]+/runs/[^/]+$")


def is_run(method: str, path: str) -> bool:
    return method == "GET" and bool(RUN.match(path))


def completed_without_stamp(method: str, path: str, status: int, body: Any) -> Any:
    if is_run(method, path) and body.get("status") == "completed":
        return status, {**body, "completed_at": None}
    return None


def reopened_messages(method: str, path: str, status: int, body: Any) -> Any:
    """Finished user messages show up as in progress again in the list."""
    if method == "GET" and path.endswith("/messages") and isinstance(body.get("data"), list):
        data = [
            {**m, "status": "in_progress", "completed_at": None} if m.get("role") == "user" else m
            for m in body["data"]
        ]
        return status, {**body, "data": data}
    return None


def requeued_after_cancel() -> Any:
    cancelled = set()

    def rule(method: str, path: str, status: int, body: Any) -> Any:
        if method == "POST" and path.endswith("/cancel") and status == 200:
            cancelled.add(path.rsplit("/", 1)[0])
        elif is_run(method, path) and path in cancelled:
            cancelled.discard(path)
            return status, {**body, "status": "queued", "cancelled_at": None}
        return None

    return rule


def unknown_batch_status(method: str, path: str, status: int, body: Any) -> Any:
    if method == "GET" and re.match(r"^/v1/batches/[^/]+$", path):
        return status, {**body, "status": "done"}
    return None


def cancel_always_succeeds(method: str, path: str, status: int, body: Any) -> Any:
    if method == "POST" and path.endswith("/cancel") and status >= 400:
        batch_id = path.split("/")[-2]
        return 200, {"id": batch_id, "object": "batch", "status": "completed", "created_at": 1_760_000_000}
    return None


def ignores_tool_choice(method: str, path: str, status: int, body: Any) -> Any:
    if is_run(method, path) and body.get("status") == "requires_action":
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        return status, {
            **body,
            "status": "completed",
            "required_action": None,
            "usage": usage,
            "completed_at": body["created_at"],
        }
    return None


def never_finishes(method: str, path: str, status: int, body: Any) -> Any:
    if is_run(method, path) and status == 200:  # (the stateless probe's 404 stays a 404)
        return status, {
            **body,
            "status": "in_progress",
            "required_action": None,
            "usage": None,
            "completed_at": None,
            "started_at": body["created_at"],
        }
    return None


def forgets_metadata(method: str, path: str, status: int, body: Any) -> Any:
    if method == "GET" and re.match(r"^/v1/assistants/[^/]+$", path) and status == 200:
        return status, {**body, "metadata": {}}
    return None


def modify_echoes_nothing(method: str, path: str, status: int, body: Any) -> Any:
    if method == "POST" and re.match(r"^/v1/assistants/[^/]+$", path) and status == 200:
        return status, {**body, "metadata": {}}
    return None


def list_drops_newest(method: str, path: str, status: int, body: Any) -> Any:
    if method == "GET" and path == "/v1/vector_stores" and body.get("data"):
        data = body["data"][1:]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return status, {**body, "data": data, "first_id": first, "last_id": last}
    return None


def deleted_store_still_readable(method: str, path: str, status: int, body: Any) -> Any:
    if method == "GET" and re.match(r"^/v1/vector_stores/[^/]+$", path) and status == 404:
        store = {
            "id": path.rsplit("/", 1)[-1],
            "object": "vector_store",
            "created_at": 1_760_000_000,
            "name": "x",
            "usage_bytes": 0,
            "status": "completed",
            "last_active_at": 1_760_000_000,
            "metadata": {},
            "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
        }
        return 200, store
    return None


def single_page(method: str, path: str, status: int, body: Any) -> Any:
    if method == "GET" and path.endswith("/messages") and isinstance(body.get("data"), list):
        return status, {**body, "has_more": False}
    return None


def more_forever(method: str, path: str, status: int, body: Any) -> Any:
    if method == "GET" and path == "/v1/files" and isinstance(body.get("data"), list):
        return status, {**body, "has_more": True}
    return None


FAULTS = [
    ("lifecycle.fields", "assistants-workflow", completed_without_stamp),
    ("lifecycle.terminal", "assistants-workflow", reopened_messages),
    ("lifecycle.transition", "assistants-cancel", requeued_after_cancel),
    ("lifecycle.state", "batch-flow", unknown_batch_status),
    ("lifecycle.cancel", "batch-flow", cancel_always_succeeds),
    ("lifecycle.workflow", "assistants-workflow", ignores_tool_choice),
    ("lifecycle.workflow", "thread-and-run", never_finishes),
    ("lifecycle.lost_update", "crud-assistants", forgets_metadata),
    ("lifecycle.round_trip", "crud-assistants", modify_echoes_nothing),
    ("lifecycle.stale_list", "crud-vector-stores", list_drops_newest),
    ("lifecycle.use_after_delete", "crud-vector-stores", deleted_store_still_readable),
    ("pagination.traversal", "pagination-listMessages", single_page),
    ("pagination.traversal", "pagination-listFiles", more_forever),
]


@pytest.mark.parametrize(
    ("check", "scenario", "fault"),
    [(c, s, f() if f is requeued_after_cancel else f) for c, s, f in FAULTS],
    ids=[f"{c}-{f.__name__}" for c, s, f in FAULTS],
)
def test_oracle_fires_on_a_broken_target(check: str, scenario: str, fault: Any, make_session) -> None:
    session = make_session(rule=fault, polling=SHORT)
    result = session.run(scenario, "scenarios")
    assert result.outcome == "failed", result.reason
    assert check in checks_of(result), checks_of(result)
    found = next(v for v in result.violations if v["check"] == check)
    assert found["family"] in ("lifecycle", "pagination") and found["message"]
    assert found["request"]["mode"] == "scenario" and found["reproduction"]["curl"]
    # whatever broke, the scenario cleaned up after itself
    assert [o.path for o in session.resources.live() if not o.borrowed and o.cleanup is not None] == []


class IgnoresCursors:
    """A server that drops `after`/`before` from list requests: every page is the first one."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            pairs = parse_qsl(scope.get("query_string", b"").decode())
            kept = [(k, v) for k, v in pairs if k not in ("after", "before")]
            scope = {**scope, "query_string": urlencode(kept).encode()}
        await self.app(scope, receive, send)


@pytest.mark.parametrize("scenario", ["pagination-listInputItems", "pagination-listVectorStores"])
def test_traversal_fires_when_cursors_are_ignored(scenario: str, make_session, openai_spec: Spec) -> None:
    session = make_session(IgnoresCursors(create_app(openai_spec)))
    result = session.run(scenario, "scenarios")
    assert result.outcome == "failed"
    messages = [v["message"] for v in result.violations if v["check"] == "pagination.traversal"]
    assert any("visited twice" in m or "never reached" in m for m in messages), messages


def created_201(method: str, path: str, status: int, body: Any) -> Any:
    """Every create answers 201 Created (openai-responses does), where the spec declares 200."""
    is_create = (
        method == "POST" and isinstance(body, dict) and body.get("id") and body.get("object") != "list"
    )
    return (201, body) if is_create and status == 200 and "/cancel" not in path else None


@pytest.mark.parametrize("scenario", ["assistants-workflow", "crud-assistants", "vector-store-files"])
def test_a_create_answered_201_is_one_finding_and_the_flow_goes_on(scenario: str, make_session) -> None:
    session = make_session(rule=created_201)
    result = session.run(scenario, "scenarios")
    checks = [v["check"] for v in result.violations]
    assert "lifecycle.workflow" not in checks, [v["message"] for v in result.violations]
    statuses = [v for v in result.violations if v["check"] == "response.schema" and "201" in v["message"]]
    creates = {v["request"]["path"] for v in statuses}
    assert statuses and len(statuses) == len(creates), [v["message"] for v in statuses]
    assert set(checks) == {"response.schema"}, checks
    assert result.requests > len(statuses)  # it went on after the creates
    assert [o.path for o in session.resources.live() if not o.borrowed and o.cleanup is not None] == []


def test_the_stateful_phase_goes_on_after_a_create_answered_201(make_session) -> None:
    session = make_session(rule=created_201, phases=["stateful"])
    result = session.run("createAssistant", "stateful")
    assert {v["check"] for v in result.violations} == {"response.schema"}, result.violations
    assert result.requests >= 6, result.requests  # create, read, list, modify, read, delete, read
    assert [o.path for o in session.resources.live() if not o.borrowed and o.cleanup is not None] == []
