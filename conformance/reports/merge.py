"""Join the results of several shards (or runs) into one, so a CI matrix publishes one scorecard."""

from __future__ import annotations

from conformance.errors import EXIT_OK, EXIT_VIOLATIONS, ConformanceError
from conformance.reports.baseline import fingerprint
from conformance.results import OperationResult, RunResults, new_run_id, worst


def merge_runs(
    runs: list[RunResults], *, allow_mixed_specs: bool = False, allow_partial: bool = False
) -> RunResults:
    """One run holding every operation result; the same operation and phase in two shards fold into
    one (counts add up, violations join without duplicates, the worse outcome wins).

    Shards must make one complete set of one run: a missing shard is refused unless `allow_partial`
    (the merge then names the missing ones), shards of different runs or splits always are."""
    if not runs:
        raise ConformanceError("nothing to merge: give at least one run folder or results.json")
    missing = check_shard_set(runs, allow_partial=allow_partial)
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
        missing_shards=missing,
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


def shard_of(run: RunResults) -> dict | None:
    """The run's {index, total, run} (results written before the record existed: from options.shard,
    run unknown); None for a run that was not a shard."""
    if run.shard:
        return run.shard
    text = str((run.options or {}).get("shard") or "")
    index, sep, total = text.partition("/")
    if sep and index.isdigit() and total.isdigit():
        return {"index": int(index), "total": int(total), "run": None}
    return None


def check_shard_set(runs: list[RunResults], *, allow_partial: bool = False) -> list[str]:
    """The shards ("I/N") missing from `runs`; raises when the runs mix sharded runs or splits, give a
    shard twice, or (without `allow_partial`) lack one. Runs that are not shards are merged as given."""
    shards = {r.run_id: shard_of(r) for r in runs}
    if not any(shards.values()):
        return []
    if not all(shards.values()):
        plain = ", ".join(r for r, s in shards.items() if not s)
        raise ConformanceError(f"cannot merge shards with runs that are not shards ({plain})")
    parts = {r: s for r, s in shards.items() if s}
    sets = sorted({str(s.get("run")) for s in parts.values()})
    if len(sets) > 1:
        listed = "; ".join(
            f"{name}: "
            + ", ".join(f"{s['index']}/{s['total']}" for s in parts.values() if str(s.get("run")) == name)
            for name in sets
        )
        raise ConformanceError(f"the shards belong to different runs ({listed}); merge the shards of one run")
    totals = sorted({int(s["total"]) for s in parts.values()})
    if len(totals) > 1:
        raise ConformanceError(
            "the shards split the run differently (" + ", ".join(f"N={t}" for t in totals) + ")"
        )
    total = totals[0]
    indexes = [int(s["index"]) for s in parts.values()]
    twice = sorted({i for i in indexes if indexes.count(i) > 1})
    if twice:
        raise ConformanceError("the same shard was given twice: " + ", ".join(f"{i}/{total}" for i in twice))
    missing = [f"{i}/{total}" for i in range(1, total + 1) if i not in indexes]
    if missing and not allow_partial:
        have = ", ".join(f"{i}/{total}" for i in sorted(indexes))
        raise ConformanceError(
            f"incomplete shard set of run {sets[0]}: have {have}, missing {', '.join(missing)} "
            "(pass --allow-partial to merge anyway)"
        )
    return missing


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
