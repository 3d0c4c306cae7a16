"""Findings grouped into deviations: the unit every report, the terminal, diffs and baselines count.

One broken contract usually shows up many times (every list page, every example, every recorded
exchange). A *deviation* is the group of findings that share a signature:

    (check, operation id, JSON path with array indexes and ids folded, message with numbers, ids
     and quoted values folded)

so `$.data[3].id` and `$.data[0].id`, or `"chatcmpl-9x…" is not one of …` and `"chatcmpl-2b…" …`,
are one deviation. Each `Group` keeps the count, the phases and statuses seen, and its first
occurrence (expected, got, the request), from which `reproduction` builds a curl command and an
httpx snippet aimed at the target the run actually used.

    groups = group_findings(results)            # worst first
    headline(groups)                            # "23 deviations (1,986 findings) in 15 operations"
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.signature import Signature
from conformance.checks.signature import signature as finding_signature
from conformance.results import EMULATOR_PORT, Auth, RunResults, ViolationRecord, is_deviation, is_new
from conformance.results import reproduction as request_reproduction
from conformance.spec import DEFAULT_SOURCE

KINDS = ("new", "accepted", "known")  # counted violations, accepted by a baseline, known deviations


def signature(violation: ViolationRecord) -> Signature:
    """What makes findings one deviation (see the module docstring)."""
    return finding_signature(
        violation.get("check"), violation.get("operation_id"), violation.get("path"), violation.get("message")
    )


def kind(violation: ViolationRecord) -> str:
    """new (counts), accepted (by a baseline) or known (a known deviation of the real API)."""
    if is_new(violation):
        return "new"
    return "known" if is_deviation(violation) else "accepted"


@dataclass
class Group:
    """One deviation: the findings sharing a signature."""

    signature: Signature
    first: ViolationRecord  # the first finding, with its "phase"
    count: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    phases: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    severity: str = "warning"

    @property
    def check(self) -> str:
        return self.signature[0]

    @property
    def operation_id(self) -> str:
        return self.signature[1]

    @property
    def path(self) -> str:
        return self.signature[2]

    @property
    def message(self) -> str:
        """The first occurrence's message, on one line (the shape folds the values away)."""
        return " ".join(str(self.first.get("message") or "").split())

    @property
    def kind(self) -> str:
        """The group counts as new if any finding is new; else accepted; else known."""
        return next(k for k in KINDS if self.kinds[k]) if self.count else "new"

    @property
    def family(self) -> str:
        return str(self.first.get("family") or "")

    def add(self, violation: ViolationRecord, phase: str) -> None:
        # `occurrences`: how often a finding was seen when only one copy was kept (fuzz counts repeats)
        times = max(int(violation.get("occurrences") or 1), 1)
        self.count += times
        self.kinds[kind(violation)] += times
        if phase not in self.phases:
            self.phases.append(phase)
        status = violation.get("status")
        if isinstance(status, int) and status not in self.statuses:
            self.statuses.append(status)
        if violation.get("severity") == "error":
            self.severity = "error"

    def line(self, width: int = 0) -> str:
        """check, operation, path and message on one line (cut to `width` characters when given)."""
        text = (
            f"{self.count:>5}×  {self.check}  {self.operation_id or '-'}  {self.first.get('path') or '$'}: "
        )
        text += self.message
        if self.kind == "known":
            text += f"  [known deviation: {self.first.get('known_deviation')}]"
        elif self.kind == "accepted":
            text += "  [accepted by the baseline]"
        return text if not width or len(text) <= width else text[: width - 1] + "…"

    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": list(self.signature),
            "check": self.check,
            "operation_id": self.operation_id,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
            "family": self.family,
            "kind": self.kind,
            "count": self.count,
            "counts": dict(self.kinds),
            "phases": list(self.phases),
            "statuses": list(self.statuses),
            "expected": self.first.get("expected"),
            "got": self.first.get("got"),
        }


def _order(group: Group) -> tuple[Any, ...]:
    """Worst first: counted before accepted before known, errors before warnings, frequent first."""
    return (KINDS.index(group.kind), group.severity != "error", -group.count, group.signature)


def group_violations(items: list[tuple[ViolationRecord, str]]) -> list[Group]:
    """Group (violation, phase) pairs; the groups come worst first."""
    groups: dict[Signature, Group] = {}
    for violation, phase in items:
        key = signature(violation)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, {**violation, "phase": phase})
        group.add(violation, phase)
    return sorted(groups.values(), key=_order)


def group_findings(results: RunResults) -> list[Group]:
    """Every finding of a run, grouped; worst first."""
    return group_violations([(v, op.phase) for op in results.operations for v in op.violations])


def plural(n: int, word: str) -> str:
    """`1 finding`, `1,986 findings`."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def headline(groups: list[Group]) -> str:
    """ "23 deviations (1,986 findings) in 15 operations", plus what a baseline or the deviations table
    explains, counted apart."""
    new = [g for g in groups if g.kind == "new"]
    findings = sum(g.kinds["new"] for g in new)
    operations = len({g.operation_id for g in new})
    text = (
        f"{plural(len(new), 'deviation')} ({plural(findings, 'finding')}) in "
        f"{plural(operations, 'operation')}"
    )
    for which, label in (
        ("accepted", "accepted by the baseline"),
        ("known", "known deviations of the real API"),
    ):
        part = [g for g in groups if g.kind == which]
        if part:
            text += f"; {label}: {len(part):,} ({plural(sum(g.count for g in part), 'finding')}, not counted)"
    return text


# -- reproductions ------------------------------------------------------------------------------


def target_url(results: RunResults) -> str:
    """Where a reproduction sends its request: the run's target URL, or for a run against the bundled
    emulator the URL `serve_command` serves it on."""
    if "://" in results.target:
        return results.target
    return f"http://127.0.0.1:{EMULATOR_PORT}/v1"


def serve_command(results: RunResults) -> str | None:
    """For a run against the bundled emulator: the command that serves the same emulator (same spec,
    same faults) on the port the reproductions name. None for any other target."""
    if "://" in results.target or not results.target.startswith("emulator"):
        return None
    options = results.options or {}
    parts = ["openai-conformance", "emulator", "--port", str(EMULATOR_PORT)]
    spec = options.get("spec")
    if spec and spec != DEFAULT_SOURCE:
        parts += ["--spec", str(spec)]
    for fault in options.get("emulator_fault") or []:
        parts += ["--fault", str(fault)]
    parts += ["--spec-literal"] if options.get("spec_literal") else []
    return " ".join(shlex.quote(p) for p in parts)


def reproduction(group: Group, results: RunResults) -> dict[str, str] | None:
    """curl and Python (httpx) that resend the group's first request to the run's target; for the bundled
    emulator also the command that serves it ("serve"). None when the finding has no single request."""
    request = group.first.get("request")
    if not isinstance(request, dict) or not request.get("method"):
        return None
    resend = request_reproduction(request, target_url(results), Auth.of(results.options))
    made = {"curl": resend["curl"], "python": resend["python"]}
    serve = serve_command(results)
    if serve:
        made["serve"] = serve
    return made
