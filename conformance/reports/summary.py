"""summary.md: a short Markdown digest for CI job summaries and pull-request comments."""

from __future__ import annotations

from conformance.kinds import OUTCOMES
from conformance.reports import matrix, recordings
from conformance.reports.groups import Group, group_findings, headline
from conformance.results import RunResults

MAX_LISTED = 50  # deviations listed per table; report.html has them all
_VERDICT = {0: "PASS", 1: "FAIL: new violations", 2: "ERROR: usage", 3: "ERROR: target unreachable"}
_VERDICT[4] = "INCOMPLETE: request budget spent"
_VERDICT[5] = "INCOMPLETE: the suite failed on an operation-phase (outcome error)"


def render(results: RunResults) -> str:
    rows = matrix.build(results)
    counts = results.counts()
    groups = group_findings(results)
    verdict = _VERDICT.get(results.exit_code if results.exit_code is not None else -1, "unfinished")
    if results.budget_spent and results.exit_code == 0:
        verdict = "PASS (request budget spent: not every request was sent)"
    spec = results.spec
    lines = [
        f"## openai-conformance: {verdict}",
        "",
        f"Target `{results.target}` · spec {spec.get('title', spec.get('source', ''))} "
        f"{spec.get('version', '')} (`{str(spec.get('sha256', ''))[:12]}`) · run `{results.run_id}`"
        + (f" · seed {results.seed}" if results.seed is not None else "")
        + (f" · profile {results.profile}" if results.profile else ""),
        "",
        f"Target kind: {results.kind_line()}",
        "",
        *([f"**The run stopped: {stop}.**", ""] if (stop := results.stop_reason()) is not None else []),
        *(
            [f"**Partial merge: shards {', '.join(results.missing_shards)} missing.**", ""]
            if results.missing_shards
            else []
        ),
        f"{len(rows)} operations, {len(results.operations)} operation × phase results, "
        f"{results.requests_sent} requests.",
        "",
        *(
            [f"{implemented}; not implemented: {', '.join(results.not_implemented())}.", ""]
            if (implemented := results.implemented_line()) is not None
            else []
        ),
        f"**{headline(groups)}**.",
        "",
        "| outcome | " + " | ".join(OUTCOMES) + " |",
        "|---|" + "---:|" * len(OUTCOMES),
        "| operation × phase | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |",
        "",
        "| family | passed | failed | not-implemented | error | skipped | n/a |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = matrix.totals(rows)
    for column in (*matrix.COLUMNS, "overall"):
        t = totals[column]
        keys = ("passed", "failed", "not-implemented", "error", "skipped", matrix.NOT_APPLICABLE)
        lines.append(f"| {column} | " + " | ".join(str(t[k]) for k in keys) + " |")
    lines += _compatibility(results.compatibility)
    lines += recordings.markdown(results.recordings)
    lines += _groups("Deviations", [g for g in groups if g.kind == "new"])
    lines += _groups("Accepted by the baseline", [g for g in groups if g.kind == "accepted"])
    lines += _groups(
        "Known deviations of the real API (not counted)", [g for g in groups if g.kind == "known"]
    )
    baseline = results.baseline or {}
    for entry in baseline.get("expired") or []:
        lines.append(
            f"\n> Baseline entry expired on {entry.get('expires')}: `{entry.get('check')}` on "
            f"`{entry.get('operation_id')}` ({entry.get('reason')}); its violations count again."
        )
    if baseline.get("unused"):
        lines.append(
            f"\n> {len(baseline['unused'])} baseline entries matched nothing: the violations are fixed."
        )
    return "\n".join(lines) + "\n"


def _groups(title: str, groups: list[Group]) -> list[str]:
    """One row per deviation, worst first, with how many findings it stands for."""
    if not groups:
        return []
    lines = [
        "",
        f"### {title}",
        "",
        "| findings | check | operation | where | message |",
        "|---:|---|---|---|---|",
    ]
    for g in groups[:MAX_LISTED]:
        lines.append(
            f"| {g.count} | `{g.check}` | `{g.operation_id}` | `{_cell(g.path, 80)}` | {_cell(g.message, 160)} |"
        )
    if len(groups) > MAX_LISTED:
        rest = groups[MAX_LISTED:]
        lines.append(
            f"\n…and {len(rest)} more deviations ({sum(g.count for g in rest)} findings). See report.html."
        )
    return lines


def _compatibility(data: dict | None) -> list[str]:
    """With a profile: its compatibility score, overall and per contract family."""
    if not data:
        return []
    ops = data.get("operations") or {}

    def pct(score: object) -> str:
        return "n/a" if score is None else f"{score:g}%"

    lines = [
        "",
        f"### Compatibility with profile `{data.get('profile')}`: {pct(data.get('score'))}",
        "",
        f"{ops.get('tested', 0)} of {ops.get('promised', 0)} promised operations tested"
        + (f"; not implemented: {', '.join(ops['not_implemented'])}" if ops.get("not_implemented") else "")
        + ".",
        "",
        "| family | score | passed | failed |",
        "|---|---:|---:|---:|",
    ]
    for family, entry in (data.get("families") or {}).items():
        lines.append(
            f"| {family} | {pct(entry.get('score'))} | {entry.get('passed', 0)} | {entry.get('failed', 0)} |"
        )
    return lines


def _cell(text: str, limit: int) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"
