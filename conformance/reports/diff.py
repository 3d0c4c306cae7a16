"""Compare two runs: which violations are new in B, which were fixed since A, which outcomes changed.

Violations are compared by `baseline.fingerprint` (check, operation, phase, path with array
indices folded), so random example data does not make the same problem look new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.reports.baseline import fingerprint
from conformance.results import RunResults

Key = tuple[str, str, str, str]


@dataclass
class RunDiff:
    new: list[dict[str, Any]] = field(default_factory=list)  # in B, not in A
    fixed: list[dict[str, Any]] = field(default_factory=list)  # in A, not in B
    unchanged: int = 0
    outcomes: list[dict[str, str]] = field(default_factory=list)  # operation/phase whose outcome changed

    def to_dict(self) -> dict[str, Any]:
        return {"new": self.new, "fixed": self.fixed, "unchanged": self.unchanged, "outcomes": self.outcomes}


def _index(run: RunResults) -> dict[Key, dict[str, Any]]:
    found: dict[Key, dict[str, Any]] = {}
    for result in run.operations:
        for violation in result.violations:
            found.setdefault(fingerprint(violation, result.phase), {**violation, "phase": result.phase})
    return found


def diff_runs(a: RunResults, b: RunResults) -> RunDiff:
    before, after = _index(a), _index(b)
    outcomes_a = {r.key: r.outcome for r in a.operations}
    changed = [
        {"operation_id": r.operation_id, "phase": r.phase, "before": outcomes_a[r.key], "after": r.outcome}
        for r in b.operations
        if r.key in outcomes_a and outcomes_a[r.key] != r.outcome
    ]
    return RunDiff(
        new=[v for k, v in after.items() if k not in before],
        fixed=[v for k, v in before.items() if k not in after],
        unchanged=sum(k in before for k in after),
        outcomes=changed,
    )


def render_text(d: RunDiff, a: RunResults, b: RunResults) -> str:
    lines = [f"A: {a.run_id} ({a.target}, spec {a.spec.get('version', '?')})"]
    lines.append(f"B: {b.run_id} ({b.target}, spec {b.spec.get('version', '?')})")
    if a.spec.get("sha256") != b.spec.get("sha256"):
        lines.append("note: the runs used different specs")
    lines.append(f"{len(d.new)} new, {len(d.fixed)} fixed, {d.unchanged} unchanged violations")
    for title, items in (("new", d.new), ("fixed", d.fixed)):
        if items:
            lines.append(f"{title}:")
            for v in items:
                where = f" at {v['path']}" if v.get("path") else ""
                accepted = " (accepted by baseline)" if v.get("accepted") else ""
                lines.append(
                    f"  {'+' if title == 'new' else '-'} {v.get('check')} {v.get('operation_id')} "
                    f"[{v.get('phase')}]{where}: {' '.join(str(v.get('message', '')).split())}{accepted}"
                )
    if d.outcomes:
        lines.append("outcome changes:")
        lines += [f"  {o['operation_id']} [{o['phase']}]: {o['before']} -> {o['after']}" for o in d.outcomes]
    return "\n".join(lines) + "\n"
