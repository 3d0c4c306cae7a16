"""The scorecard: operations by contract family, each cell an outcome.

One computation shared by report.html and summary.md, so both always agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from conformance.kinds import FAMILIES, OUTCOMES
from conformance.results import OperationResult, RunResults, ViolationRecord, is_new, worst

# Columns of the matrix: the contract families ("http" last: status codes, content types, 5xx).
COLUMNS = FAMILIES
NOT_APPLICABLE = "n/a"
# The families a phase always checks; a result's `families` adds to them.
PHASE_FAMILIES = {
    "examples": ("schema",),
    "positive": ("schema", "http"),
    "negative": ("errors", "http"),
    "stateful": ("lifecycle",),
    "scenarios": ("lifecycle",),
    "streaming": ("streaming",),
    "pagination": ("pagination",),
}
UNTAGGED = "(untagged)"


@dataclass
class Cell:
    outcome: str = NOT_APPLICABLE
    violations: int = 0  # new ones
    accepted: int = 0


@dataclass
class Row:
    operation_id: str
    method: str
    path: str
    tag: str
    tags: list[str]
    outcome: str
    cells: dict[str, Cell]
    results: list[OperationResult] = field(default_factory=list)

    @property
    def violations(self) -> list[ViolationRecord]:
        return [v for r in self.results for v in r.violations]


def families_of(result: OperationResult) -> set[str]:
    listed = set(result.families) | set(PHASE_FAMILIES.get(result.phase, ()))
    return listed | {v.get("family") or "schema" for v in result.violations}


def cell_for(results: list[OperationResult], family: str) -> Cell:
    covering = [r for r in results if family in families_of(r)]
    if not covering:
        return Cell()
    mine = [v for r in covering for v in r.violations if (v.get("family") or "schema") == family]
    new = sum(is_new(v) for v in mine)
    if new:
        outcome = "failed"
    else:
        # A result failed by another family's check still passed this family's checks.
        outcome = worst(["passed" if r.outcome == "failed" else r.outcome for r in covering])
    return Cell(outcome, new, len(mine) - new)


def build(results: RunResults) -> list[Row]:
    """One row per operation (phases folded), ordered by tag, then path and method."""
    by_op: dict[str, list[OperationResult]] = defaultdict(list)
    for result in results.operations:
        by_op[result.operation_id].append(result)
    rows = []
    for op_id, group in by_op.items():
        first = group[0]
        tags = first.tags or [UNTAGGED]
        cells: dict[str, Cell] = {family: cell_for(group, family) for family in COLUMNS}
        outcome = worst([r.outcome for r in group])
        rows.append(Row(op_id, first.method, first.path, tags[0], list(tags), outcome, cells, group))
    rows.sort(key=lambda r: (r.tag.lower(), r.path, r.method))
    return rows


def totals(rows: list[Row]) -> dict[str, dict[str, int]]:
    """Per column (and "overall"): how many operations have each outcome."""
    out: dict[str, dict[str, int]] = {}
    for column in (*COLUMNS, "overall"):
        counts = dict.fromkeys((*OUTCOMES, NOT_APPLICABLE), 0)
        for row in rows:
            outcome = row.outcome if column == "overall" else row.cells[column].outcome
            counts[outcome] = counts.get(outcome, 0) + 1
        out[column] = counts
    return out


def by_tag(rows: list[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.tag, []).append(row)
    return groups
