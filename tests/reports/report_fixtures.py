"""Realistic runs for the report tests: the real spec's operations and real `Violation`s."""

from __future__ import annotations

import os
from dataclasses import dataclass

from conformance.exchange import Request
from conformance.results import OperationResult, RunResults
from conformance.spec import Spec

try:
    from conformance.checks import Violation
except ImportError:  # the checks package before its public __init__ landed
    from conformance.checks.model import Violation

# A key, organization and project that must never appear in any output.
PLANTED_KEY = "sk-proj-PLANTEDkey0123456789abcdefABCDEF"
PLANTED_ORG = "org-PLANTEDorg0123456789abc"
PLANTED_PROJECT = "proj_PLANTEDproject0123456789"
AUTH_HEADERS = {
    "Authorization": f"Bearer {PLANTED_KEY}",
    "OpenAI-Organization": PLANTED_ORG,
    "OpenAI-Project": PLANTED_PROJECT,
    "User-Agent": "openai-conformance/0.1.0",
}


@dataclass(frozen=True)
class Planted:
    """A violation planted in a run: which operation, phase and contract family."""

    operation_id: str
    phase: str
    family: str
    check: str
    path: str = "$"


# Violations planted in the default run, on real operations of the spec.
PLANTED = (
    Planted("listAssistants", "positive", "pagination", "pagination.page", "$.has_more"),
    Planted("listAssistants", "positive", "schema", "response.schema", "$.data[0].created_at"),
    Planted("listAssistants", "positive", "schema", "response.schema", "$.data[3].created_at"),
    Planted("createChatCompletion", "positive", "streaming", "sse.stream", "$"),
    Planted("createAssistant", "negative", "errors", "error.envelope", "$.error.type"),
    Planted("getAssistant", "positive", "schema", "response.schema", "$.tools"),
    Planted("deleteAssistant", "stateful", "lifecycle", "object.invariants", "$.deleted"),
    Planted("listFiles", "negative", "http", "server.error", "$"),
)
OPERATIONS = (
    "listAssistants",
    "createAssistant",
    "getAssistant",
    "modifyAssistant",
    "deleteAssistant",
    "createChatCompletion",
    "listFiles",
    "createFile",
    "listModels",
    "createEmbedding",
    "createImage",
)
NOT_IMPLEMENTED = ("createImage",)
PHASES = ("positive", "negative")


def request_for(spec: Spec, operation_id: str, mode: str = "positive") -> Request:
    op = spec.operation(operation_id)
    path = op.path.replace("{assistant_id}", "asst_abc123")
    body = None
    if op.request_bodies.get("application/json") is not None:
        body = {"model": "gpt-4o-mini", "name": "conformance \u2603", "metadata": {"conformance": "1"}}
    query = {"limit": 2, "order": "desc"} if op.paginated else {}
    return Request(
        method=op.method,
        path=path,
        operation_id=op.id,
        path_template=op.path,
        query=query,
        headers=dict(AUTH_HEADERS),
        body=body,
        media_type="application/json" if body is not None else None,
        mode=mode,
    )


def build_run(
    spec: Spec, planted: tuple[Planted, ...] = PLANTED, target: str = "https://api.example.test/v1"
):
    """A finished run over OPERATIONS x PHASES (+ a stateful phase where planted)."""
    run = RunResults(
        spec=spec.describe(),
        target=target,
        options={"max_examples": 5, "phases": list(PHASES), "api_key": PLANTED_KEY},
        seed=1234,
        profile="openai",
    )
    phases = {(op, phase) for op in OPERATIONS for phase in PHASES} | {
        (p.operation_id, p.phase) for p in planted
    }
    for op_id, phase in sorted(phases, key=lambda k: (OPERATIONS.index(k[0]), k[1])):
        operation = spec.operation(op_id)
        result = OperationResult.for_operation(operation, phase, requests=6, examples=5, duration=0.25)
        if op_id in NOT_IMPLEMENTED:
            result.outcome, result.reason = "not-implemented", "the target answered 404 to every request"
        for p in planted:
            if (p.operation_id, p.phase) == (op_id, phase):
                violation = Violation(
                    check=p.check,
                    severity="error",
                    family=p.family,
                    operation_id=op_id,
                    message=f"{p.check} failed at {p.path} (key {PLANTED_KEY} was sent)",
                    expected="integer",
                    got='"yesterday"',
                    path=p.path,
                    request=request_for(spec, op_id, "negative" if phase == "negative" else "positive"),
                    status=200,
                )
                result.add_violation(violation, run.base_url)
        run.add(result)
    run.requests_sent = sum(r.requests for r in run.operations)
    run.finish()
    return run


def all_text(folder: os.PathLike) -> dict[str, str]:
    from pathlib import Path

    return {str(p): p.read_text("utf-8") for p in Path(folder).rglob("*") if p.is_file()}


# A large run: every paginated operation of the spec breaks the same three contracts on many pages.
BIG_FINDINGS_PER_GROUP = 20


def build_big_run(spec: Spec, operations: int = 40) -> RunResults:
    """≥ 2,000 findings in 3 deviations per operation (varying indexes and values), the third a known
    deviation; what a full run against a broken server looks like."""
    run = RunResults(spec=spec.describe(), target="https://api.example.test/v1", seed=1)
    chosen = [op for op in spec.operations if op.paginated][:operations]
    for op in chosen:
        result = OperationResult.for_operation(op, "positive", requests=BIG_FINDINGS_PER_GROUP)
        for n in range(BIG_FINDINGS_PER_GROUP):
            request = Request(method=op.method, path=op.path, operation_id=op.id, query={"limit": n + 1})
            for check, family, path, message, known in (
                (
                    "response.schema",
                    "schema",
                    f"$.data[{n}].created_at",
                    f'"{n}d ago" is not of type "integer"',
                    None,
                ),
                ("pagination.page", "pagination", "$.data", f"{n + 3} items exceed limit {n + 1}", None),
                (
                    "response.schema",
                    "schema",
                    "$.first_id",
                    'null is not of type "string"',
                    "empty-list-cursors",
                ),
            ):
                violation = Violation(check, "error", family, op.id, message, "x", "y", path, request, 200)
                violation.known_deviation = known
                result.add_violation(violation, run.base_url)
        run.add(result)
    run.finish()
    return run
