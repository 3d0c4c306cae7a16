"""What `--profile` and `--baseline` change in a run's verdict.

A profile narrows the run to the operations a server promises, relaxes the checks it does not
promise, and scores the run per contract family (`conformance.profiles`). A baseline accepts known
violations, so the exit code counts only new ones (`conformance.reports.baseline`). Both files are
read before the run starts, so a bad one is one line and exit code 2, not a failed run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.profiles import Profile, load_profile
from conformance.reports.baseline import Baseline, apply_baseline, load_baseline
from conformance.reports.score import score_results
from conformance.results import OperationResult, RunResults
from conformance.runner.config import RunConfig
from conformance.spec import Operation

_PROFILES: dict[str, Profile] = {}


def run_profile(config: RunConfig) -> Profile | None:
    """The run's profile, read once per process (the selection asks for it per phase)."""
    if not config.profile:
        return None
    if config.profile not in _PROFILES:
        _PROFILES[config.profile] = load_profile(config.profile)
    return _PROFILES[config.profile]


def run_baseline(config: RunConfig) -> Baseline | None:
    """The run's baseline, read afresh (a run updates nothing in it)."""
    return load_baseline(config.baseline) if config.baseline is not None else None


def promised(operations: list[Operation], config: RunConfig) -> list[Operation]:
    """The operations of the profile (all of them without one); a profile that promises none of this
    spec's operations is a configuration error."""
    profile = run_profile(config)
    return profile.require(operations) if profile is not None else operations


def relaxed_check_config(profile: Profile | None, check_config: Any) -> Any:
    """The checks' configuration with the aspects the profile does not promise turned off."""
    if profile is None or check_config is None:
        return check_config
    options = profile.relax_check_options(dataclasses.asdict(check_config))
    return type(check_config)(**options)


def is_relaxed(profile: Profile | None, violation: Any) -> bool:
    """A violation of a check (or aspect) the profile does not promise: not recorded, not counted."""
    if profile is None:
        return False
    data: Mapping[str, Any] = violation if isinstance(violation, Mapping) else _fields(violation)
    return profile.relaxes_violation(data)


def _fields(violation: Any) -> dict[str, Any]:
    return {
        name: getattr(violation, name, None)
        for name in ("check", "operation_id", "message", "expected", "aspect")
    }


def accept(result: OperationResult, baseline: Baseline | None) -> None:
    """Mark one operation's violations the baseline accepts as it finishes, so its pytest item passes;
    `conclude` applies the baseline again over the whole run for the totals."""
    if baseline is not None and result.violations:
        apply_baseline(RunResults(operations=[result]), baseline)


def conclude(results: RunResults, config: RunConfig, operation_ids: Iterable[str] | None = None) -> int:
    """Apply the baseline and the profile's score to finished results; returns the exit code.

    Called after `results.finish()` and before the reports are written. `operation_ids` are the
    operations the run covered (the promised set of the score); by default those in the results.
    """
    profile = run_profile(config)
    baseline = run_baseline(config)
    if baseline is not None:
        apply_baseline(results, baseline)
    if profile is not None:
        results.profile = profile.name
        ids = list(operation_ids) if operation_ids is not None else None
        if ids is None:
            ids = sorted({r.operation_id for r in results.operations})
        results.compatibility = score_results(results.to_dict(), profile, promised=ids)
    return results.settle()


def score_lines(compatibility: Mapping[str, Any] | None) -> list[str]:
    """The compatibility score as short lines for a terminal: overall, then one per family."""
    if not compatibility:
        return []
    ops = compatibility.get("operations") or {}
    lines = [
        f"compatibility with profile {compatibility.get('profile')}: {_pct(compatibility.get('score'))} "
        f"({ops.get('tested', 0)} of {ops.get('promised', 0)} promised operations tested"
        + (f", {len(ops['not_implemented'])} not implemented" if ops.get("not_implemented") else "")
        + ")"
    ]
    for family, entry in (compatibility.get("families") or {}).items():
        lines.append(
            f"  {family:11} {_pct(entry.get('score')):>6}  "
            f"({entry.get('passed', 0)} passed, {entry.get('failed', 0)} failed)"
        )
    return lines


def _pct(score: Any) -> str:
    return "n/a" if score is None else f"{score:g}%"
