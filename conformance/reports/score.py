"""The compatibility score: how far a run's results conform, per contract family, under a profile."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from conformance.profiles import Profile


def check_families() -> dict[str, str]:
    """Check id -> contract family, from the check registry (`conformance.checks.CHECKS`)."""
    from conformance.checks import CHECKS

    return {check.id: check.family for check in CHECKS.values()}


def compatibility(
    violations: Iterable[Mapping[str, Any]],
    outcomes: Iterable[Mapping[str, Any]],
    profile: Profile | None = None,
    promised: Iterable[str] | None = None,
) -> dict[str, Any]:
    """A compatibility score per contract family, from a run's results (plain dicts in, a dict out).

    violations: `Violation.to_dict()`-like dicts: check, family (or derived from the check),
        operation_id, severity ("warning" never counts).
    outcomes: one dict per operation (and phase): operation_id, outcome (passed | failed |
        not-implemented | skipped | error), families (the families whose checks ran; when
        absent or empty: `schema` plus the families of the operation's violations).
    profile: relaxed checks do not count; `promised` (operation ids) defaults to the operations
        the outcomes name, so pass `[op.id for op in profile.select(spec.operations)]`.

    Each (operation, family) cell that ran is passed or failed: failed when it has a counted
    violation, or when a promised operation is not implemented. Skipped and errored cells are
    left out. A family's score is 100 x passed / (passed + failed); the overall score is the same
    ratio over all cells. Scores are None where nothing was measured.
    """
    families_of = check_families()
    outcomes = list(outcomes)
    implemented = {
        str(r.get("operation_id") or r.get("operation") or "")
        for r in outcomes
        if r.get("outcome") in ("passed", "failed")
    }
    by_cell: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    relaxed = 0
    for violation in violations:
        op = str(violation.get("operation_id") or violation.get("operation") or "")
        family = str(violation.get("family") or families_of.get(str(violation.get("check")), "other"))
        if profile is not None and profile.relaxes_violation(violation):
            relaxed += 1
            continue
        if violation.get("severity", "error") != "error" or violation.get("known_deviation"):
            continue  # warnings and known deviations of the real API do not fail a cell
        by_cell.setdefault((op, family), []).append(violation)
    wanted = set(promised) if promised is not None else None
    cells: dict[tuple[str, str], str] = {}
    seen_ops: dict[str, str] = {}
    for result in outcomes:
        op = str(result.get("operation_id") or result.get("operation") or "")
        if wanted is not None and op not in wanted:
            continue
        outcome = str(result.get("outcome") or "")
        if outcome == "not-implemented" and op in implemented:
            outcome = "skipped"  # another phase found the operation implemented: this one says nothing
        seen_ops[op] = _fold(seen_ops.get(op), outcome)
        families = result.get("families") or {"schema", *(f for (o, f) in by_cell if o == op)}
        for family in families:
            if profile is not None and _family_relaxed(profile, str(family), op):
                continue
            if outcome == "not-implemented":
                state = "failed"
            elif outcome in ("skipped", "error"):
                state = outcome
            else:
                state = "failed" if (op, family) in by_cell else "passed"
            cells[(op, str(family))] = _fold(cells.get((op, str(family))), state)
    families_out: dict[str, dict[str, Any]] = {}
    for (_op, family), state in sorted(cells.items()):
        entry = families_out.setdefault(
            family, {"score": None, "passed": 0, "failed": 0, "skipped": 0, "error": 0, "operations": 0}
        )
        entry[state] += 1
        entry["operations"] += 1
    for entry in families_out.values():
        entry["score"] = _score(entry["passed"], entry["failed"])
    passed = sum(e["passed"] for e in families_out.values())
    failed = sum(e["failed"] for e in families_out.values())
    universe = sorted(wanted) if wanted is not None else sorted(seen_ops)
    return {
        "profile": profile.name if profile is not None else None,
        "score": _score(passed, failed),
        "families": dict(sorted(families_out.items())),
        "operations": {
            "promised": len(universe),
            "tested": sum(1 for op in universe if seen_ops.get(op) in ("passed", "failed")),
            "untested": [
                op for op in universe if seen_ops.get(op) not in ("passed", "failed", "not-implemented")
            ],
            "not_implemented": [op for op in universe if seen_ops.get(op) == "not-implemented"],
        },
        "relaxed_violations": relaxed,
    }


def score_results(
    results: Mapping[str, Any], profile: Profile | None = None, promised: Iterable[str] | None = None
) -> dict[str, Any]:
    """`compatibility` over a `results.json` document (`RunResults.to_dict()`): its operations' outcomes
    and violations. Violations a baseline accepted still count: compatibility is not regression."""
    operations = list(results.get("operations") or [])
    violations = [v for op in operations for v in op.get("violations") or []]
    return compatibility(violations, operations, profile, promised)


_STATE_ORDER = {"failed": 5, "not-implemented": 4, "error": 3, "passed": 2, "skipped": 1}


def _fold(current: str | None, new: str) -> str:
    if current is None:
        return new
    return max(current, new, key=lambda s: _STATE_ORDER.get(s, 0))


def _family_relaxed(profile: Profile, family: str, operation: str) -> bool:
    """A family is out of the score when every one of its checks is relaxed (e.g. `sse.*`)."""
    checks = [c for c, f in check_families().items() if f == family]
    return bool(checks) and all(profile.relaxes(c, None, operation) for c in checks)


def _score(passed: int, failed: int) -> float | None:
    return round(100.0 * passed / (passed + failed), 1) if passed + failed else None
