"""Whether the target keeps state at all, decided on evidence once per run.

A mock answering its examples (Prism serving the spec) gives the same object for any id, whatever was
written before: what a read shows after a create, a modify or a delete says nothing about the target,
so the judgements that rest on kept state (`STATE_BOUND`, a pagination walk over created objects, the
polls of a run) would report the mock's nature, not a deviation. The evidence: one GET of an object's
item path under an id this run never created (judged by no check: a question about the target, not a
test). A real server answers 404; a target answering with the object this run created keeps no state.
The answer is kept on the session, so a run asks at most once per process.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.errors import ConformanceError
from conformance.exchange import Request
from conformance.runner.resources import Created, fill, params_of
from conformance.runner.target import TransportFailure
from conformance.spec import Operation

# read-your-writes oracles (`conformance.checks.crud`, the model-based lists): about kept state only
STATE_BOUND = frozenset(
    {"lifecycle.lost_update", "lifecycle.round_trip", "lifecycle.use_after_delete", "lifecycle.stale_list"}
)


@dataclass
class Evidence:
    """The run's answer: not asked yet, a target that keeps state (`reason` None), or the reason."""

    asked: bool = False
    reason: str | None = None


def evidence_of(session: Any) -> Evidence:
    evidence = getattr(session, "state_evidence", None)
    if not isinstance(evidence, Evidence):
        evidence = Evidence()
        session.state_evidence = evidence
    return evidence


def probe(session: Any, op: Operation, params: dict[str, str], obj: dict[str, Any], seen: str) -> str | None:
    """Read `op` with the last id of `params` replaced by one never created; the reason when the answer
    is `obj` again (`seen` says how the run saw it), else None. The answer is kept for the run."""
    evidence = evidence_of(session)
    names = params_of(op.path)
    if not names or not isinstance(obj.get("id"), str):
        return None
    real = str(params[names[-1]])
    prefix = real.split("_", 1)[0] + "_" if "_" in real else ""
    unknown = f"{prefix}{uuid.uuid4().hex[:24]}"
    binding = {**{name: str(params[name]) for name in names}, names[-1]: unknown}
    request = Request(op.method, fill(op.path, binding), op.id, op.path, binding, mode="scenario")
    try:
        response = session.target.send(request, op)
    except (TransportFailure, ConformanceError):
        return None
    other = response.json() if 200 <= response.status < 300 and response.is_json else None
    evidence.asked = True
    if not isinstance(other, dict) or other.get("id") != obj["id"]:
        evidence.reason = None
        return None
    evidence.reason = (
        f"the target keeps no state: {op.id} answered {seen}, and the same object for {unknown}, "
        "an id this run never created"
    )
    return evidence.reason


def keeps_no_state(session: Any, objects: Iterable[Created]) -> str | None:
    """The run's evidence, asked with the first of `objects` (created by this run) that has a read."""
    evidence = evidence_of(session)
    if evidence.asked:
        return evidence.reason
    reads = {op.path: op for op in session.spec.operations if op.method == "GET"}
    for obj in objects:
        op = reads.get(obj.template)
        if op is None or obj.borrowed:
            continue
        kind = obj.object or "the object"
        return probe(session, op, obj.params, {"id": obj.id}, f"{kind} {obj.id}, which this run created")
    return None
