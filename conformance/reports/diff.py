"""Compare two runs: which deviations are new in B, which were fixed since A, which outcomes changed.

Runs are compared deviation by deviation (`reports.groups`: check, operation, normalised path and
message shape), so random example data, array indexes and ids do not make the same problem look
new, and a deviation seen 500 times is one line with its count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.reports.groups import Group, group_findings
from conformance.results import RunResults


@dataclass
class RunDiff:
    new: list[dict[str, Any]] = field(default_factory=list)  # deviations in B, not in A
    fixed: list[dict[str, Any]] = field(default_factory=list)  # deviations in A, not in B
    unchanged: int = 0  # deviations in both
    outcomes: list[dict[str, str]] = field(default_factory=list)  # operation/phase whose outcome changed

    @property
    def counted(self) -> list[dict[str, Any]]:
        """New deviations that count: neither accepted by a baseline nor a known deviation of the real API."""
        return [d for d in self.new if d["kind"] == "new"]

    def to_dict(self) -> dict[str, Any]:
        return {"new": self.new, "fixed": self.fixed, "unchanged": self.unchanged, "outcomes": self.outcomes}


def _entry(group: Group) -> dict[str, Any]:
    """A deviation as the diff lists it: the group, and its first finding's phase and path."""
    first = group.first
    return group.to_dict() | {"phase": first.get("phase"), "path": first.get("path") or group.path}


def diff_runs(a: RunResults, b: RunResults) -> RunDiff:
    before = {g.signature: g for g in group_findings(a)}
    after = group_findings(b)
    seen_after = {g.signature for g in after}
    outcomes_a = {r.key: r.outcome for r in a.operations}
    changed = [
        {"operation_id": r.operation_id, "phase": r.phase, "before": outcomes_a[r.key], "after": r.outcome}
        for r in b.operations
        if r.key in outcomes_a and outcomes_a[r.key] != r.outcome
    ]
    return RunDiff(
        new=[_entry(g) for g in after if g.signature not in before],
        fixed=[_entry(g) for k, g in before.items() if k not in seen_after],
        unchanged=sum(g.signature in before for g in after),
        outcomes=changed,
    )


def render_text(d: RunDiff, a: RunResults, b: RunResults) -> str:
    lines = [f"A: {a.run_id} ({a.target}, spec {a.spec.get('version', '?')})"]
    lines.append(f"B: {b.run_id} ({b.target}, spec {b.spec.get('version', '?')})")
    if a.spec.get("sha256") != b.spec.get("sha256"):
        lines.append("note: the runs used different specs")
    lines.append(f"{len(d.new)} new, {len(d.fixed)} fixed, {d.unchanged} unchanged deviations")
    for title, items in (("new", d.new), ("fixed", d.fixed)):
        if items:
            lines.append(f"{title}:")
            for v in items:
                where = f" at {v['path']}" if v.get("path") else ""
                note = {"accepted": " (accepted by baseline)", "known": " (known deviation)"}.get(
                    v["kind"], ""
                )
                lines.append(
                    f"  {'+' if title == 'new' else '-'} {v.get('check')} {v.get('operation_id')} "
                    f"[{v.get('phase')}]{where}: {v.get('message')} ({v['count']}×){note}"
                )
    if d.outcomes:
        lines.append("outcome changes:")
        lines += [f"  {o['operation_id']} [{o['phase']}]: {o['before']} -> {o['after']}" for o in d.outcomes]
    return "\n".join(lines) + "\n"
