"""Join the results of several shards (or runs) into one, so a CI matrix publishes one scorecard."""

from __future__ import annotations

from conformance.errors import EXIT_OK, EXIT_VIOLATIONS, ConformanceError
from conformance.reports.baseline import fingerprint
from conformance.results import OperationResult, RunResults, new_run_id, worst


def merge_runs(runs: list[RunResults], *, allow_mixed_specs: bool = False) -> RunResults:
    """One run holding every operation result; the same operation and phase in two shards fold into
    one (counts add up, violations join without duplicates, the worse outcome wins)."""
    if not runs:
        raise ConformanceError("nothing to merge: give at least one run folder or results.json")
    shas = {r.spec.get("sha256") for r in runs}
    if len(shas) > 1 and not allow_mixed_specs:
        names = ", ".join(f"{r.run_id}: {r.spec.get('version', '?')}" for r in runs)
        raise ConformanceError(
            f"the runs used different specs ({names}); pass --allow-mixed-specs to merge anyway"
        )
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise ConformanceError(
            "the same run was given twice: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1}))
        )
    first = runs[0]
    targets = list(dict.fromkeys(r.target for r in runs))
    merged = RunResults(
        run_id=new_run_id(),
        tool_version=first.tool_version,
        spec=first.spec,
        target=targets[0] if len(targets) == 1 else ", ".join(targets),
        target_kind=first.target_kind if len({r.target_kind for r in runs}) == 1 else None,
        options=first.options,
        seed=first.seed if len({r.seed for r in runs}) == 1 else None,
        profile=first.profile if len({r.profile for r in runs}) == 1 else None,
        started=min(r.started for r in runs),
        finished=max((r.finished for r in runs if r.finished), default=None),
        requests_sent=sum(r.requests_sent for r in runs),
        shards=[s for r in runs for s in (r.shards or [r.run_id])],
    )
    by_key: dict[tuple[str, str], OperationResult] = {}
    for run in runs:
        for result in run.operations:
            into = by_key.get(result.key)
            if into is None:
                by_key[result.key] = OperationResult.from_dict(result.to_dict())
            else:
                _fold(into, result)
    merged.operations = list(by_key.values())
    merged.baseline = _merge_baselines(runs)
    special = [
        r.exit_code for r in runs if r.exit_code is not None and r.exit_code not in (EXIT_OK, EXIT_VIOLATIONS)
    ]
    merged.exit_code = max(special) if special else None
    merged.settle()
    merged.compatibility = _merge_compatibility(runs, merged)
    return merged


def _merge_compatibility(runs: list[RunResults], merged: RunResults) -> dict | None:
    """Shards scored with one profile: the score of the whole run, computed again over the merge
    (the shards' operations together are the promised ones). None when the profile cannot be read."""
    if merged.profile is None or not any(r.compatibility for r in runs):
        return None
    from conformance.profiles import load_profile
    from conformance.reports.score import score_results

    try:
        profile = load_profile(str((runs[0].options or {}).get("profile") or merged.profile))
    except ConformanceError:
        return None
    return score_results(merged.to_dict(), profile)


def _fold(into: OperationResult, other: OperationResult) -> None:
    into.requests += other.requests
    into.examples += other.examples
    into.duration += other.duration
    into.families += [f for f in other.families if f not in into.families]
    seen = {(fingerprint(v), v.get("message")) for v in into.violations}
    into.violations += [v for v in other.violations if (fingerprint(v), v.get("message")) not in seen]
    outcome = worst([into.outcome, other.outcome])
    into.reason = into.reason if outcome == into.outcome else other.reason
    into.outcome = outcome


def _merge_baselines(runs: list[RunResults]) -> dict | None:
    used = [r.baseline for r in runs if r.baseline]
    if not used:
        return None
    unused = [e for e in used[0].get("unused") or [] if all(e in (b.get("unused") or []) for b in used)]
    expired = {repr(e): e for b in used for e in b.get("expired") or []}
    return {
        "file": used[0].get("file", ""),
        "entries": used[0].get("entries", 0),
        "accepted": sum(b.get("accepted", 0) for b in used),
        "new": sum(b.get("new", 0) for b in used),
        "expired": list(expired.values()),
        "unused": unused,
    }
