"""Baselines: known violations accepted (with a reason and an optional expiry) so only new ones fail.

A baseline is a YAML (or JSON) file, usually checked in next to the CI job:

    version: 1
    accepted:
      - check: response.schema            # glob patterns: * matches anything
        operation_id: createChatCompletion
        path: "$.choices[*].logprobs"     # optional: any path when absent
        phase: positive                   # optional: any phase when absent
        message: "* is not of type …"     # optional: the message shape (reports.groups), any when absent
        reason: "spec declares logprobs required; the API omits it"
        expires: 2027-01-31               # optional: after this date the violations count again

`apply_baseline(results, baseline)` marks matching violations `accepted`, settles the outcomes
and exit code, and records in `results.baseline` what matched, what expired and what went
unused (a fixed violation: the entry can go). The runner calls it for `--baseline FILE`;
`openai-conformance baseline update` writes a baseline from a run, one entry per deviation
(`reports.groups`: check, operation, normalised path and message shape).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from conformance.checks.signature import message_shape, normalise_path
from conformance.errors import ConformanceError
from conformance.reports.groups import group_violations
from conformance.results import RunResults, ViolationRecord

BASELINE_VERSION = 1
__all__ = ["Baseline", "Entry", "apply_baseline", "baseline_from", "dump_baseline", "load_baseline"]
__all__ += ["fingerprint"]


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z", re.S)


def fingerprint(violation: ViolationRecord, phase: str | None = None) -> tuple[str, str, str, str]:
    """What makes two violations "the same" across runs: check, operation, phase, normalised path."""
    return (
        str(violation.get("check") or ""),
        str(violation.get("operation_id") or ""),
        str(phase or ""),
        normalise_path(violation.get("path")),
    )


@dataclass
class Entry:
    check: str
    operation_id: str = "*"
    reason: str = ""
    path: str | None = None
    phase: str | None = None
    expires: date | None = None
    message: str | None = None  # a glob over the message shape (`checks.signature.message_shape`)
    matched: int = field(default=0, compare=False)

    def matches(self, violation: ViolationRecord, phase: str) -> bool:
        return (
            bool(_glob(self.check).match(str(violation.get("check") or "")))
            and bool(_glob(self.operation_id).match(str(violation.get("operation_id") or "")))
            and (self.phase is None or bool(_glob(self.phase).match(phase)))
            and (self.path is None or bool(_glob(self.path).match(normalise_path(violation.get("path")))))
            and (
                self.message is None
                or bool(_glob(self.message).match(message_shape(violation.get("message"))))
            )
        )

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"check": self.check, "operation_id": self.operation_id}
        if self.path is not None:
            data["path"] = self.path
        if self.phase is not None:
            data["phase"] = self.phase
        if self.message is not None:
            data["message"] = self.message
        data["reason"] = self.reason
        if self.expires is not None:
            data["expires"] = self.expires.isoformat()
        return data


@dataclass
class Baseline:
    entries: list[Entry] = field(default_factory=list)
    source: str = ""

    def find(self, violation: ViolationRecord, phase: str) -> Entry | None:
        return next((e for e in self.entries if e.matches(violation, phase)), None)


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; anything wrong with it is a usage error (exit 2) naming the entry."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConformanceError(f"baseline {path}: no such file (create one with `baseline update`)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConformanceError(f"baseline {path}: cannot read it ({_one_line(exc)})") from None
    if data is None:
        return Baseline([], str(path))
    if not isinstance(data, dict) or not isinstance(data.get("accepted", []), list):
        raise ConformanceError(f"baseline {path}: expected a mapping with an `accepted` list")
    if data.get("version", BASELINE_VERSION) != BASELINE_VERSION:
        raise ConformanceError(f"baseline {path}: version {data.get('version')!r} is not supported (use 1)")
    entries = [_entry(path, i, raw) for i, raw in enumerate(data.get("accepted") or [])]
    return Baseline(entries, str(path))


def _entry(path: Path, index: int, raw: Any) -> Entry:
    where = f"baseline {path}: entry {index + 1}"
    if not isinstance(raw, dict) or not isinstance(raw.get("check"), str) or not raw["check"]:
        raise ConformanceError(f"{where}: needs a `check` (a check id or a glob such as response.*)")
    unknown = set(raw) - {"check", "operation_id", "path", "phase", "message", "reason", "expires"}
    if unknown:
        raise ConformanceError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    expires = raw.get("expires")
    if isinstance(expires, datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            raise ConformanceError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
    elif expires is not None and not isinstance(expires, date):
        raise ConformanceError(f"{where}: expires must be a date (YYYY-MM-DD)")
    return Entry(
        check=raw["check"],
        operation_id=str(raw.get("operation_id") or "*"),
        reason=str(raw.get("reason") or ""),
        path=None if raw.get("path") is None else str(raw["path"]),
        phase=None if raw.get("phase") is None else str(raw["phase"]),
        expires=expires,
        message=None if raw.get("message") is None else str(raw["message"]),
    )


def apply_baseline(results: RunResults, baseline: Baseline, today: date | None = None) -> dict[str, Any]:
    """Accept the violations the baseline names; returns (and stores in results.baseline) a summary.

    Violations matched only by an expired entry count as new. The exit code is settled afresh.
    """
    today = today or datetime.now(UTC).date()
    for each in baseline.entries:
        each.matched = 0
    expired: dict[int, Entry] = {}
    accepted = new = 0
    for result in results.operations:
        for violation in result.violations:
            violation.pop("accepted", None)
            entry = baseline.find(violation, result.phase)
            if entry is None:
                new += 1
                continue
            entry.matched += 1
            if entry.expired(today):
                expired[id(entry)] = entry
                new += 1
                continue
            violation["accepted"] = {
                "reason": entry.reason,
                "expires": entry.expires.isoformat() if entry.expires else None,
            }
            accepted += 1
    summary = {
        "file": baseline.source,
        "entries": len(baseline.entries),
        "accepted": accepted,
        "new": new,
        "expired": [e.to_dict() for e in expired.values()],
        "unused": [e.to_dict() for e in baseline.entries if e.matched == 0],
    }
    results.baseline = summary
    results.settle()
    return summary


def baseline_from(
    results: RunResults,
    *,
    reason: str = "",
    expires: date | None = None,
    previous: Baseline | None = None,
    keep_unused: bool = False,
) -> Baseline:
    """A baseline accepting every violation of a run, one entry per deviation (`reports.groups`).

    Entries of `previous` that still match keep their reason and expiry; those that match nothing
    (fixed violations) are dropped unless `keep_unused`.
    """
    reason = reason or f"accepted by `baseline update` on {datetime.now(UTC).date().isoformat()}"
    previous = previous or Baseline()
    for entry in previous.entries:
        entry.matched = 0
    fresh: list[tuple[ViolationRecord, str]] = []
    for result in results.operations:
        for violation in result.violations:
            old = previous.find(violation, result.phase)
            if old is not None:
                old.matched += 1
            else:
                fresh.append((violation, result.phase))
    entries = [
        Entry(g.check, g.operation_id or "*", reason, g.path or None, None, expires, g.signature[3])
        for g in group_violations(fresh)
    ]
    kept = [e for e in previous.entries if e.matched or keep_unused]
    ordered = sorted(kept + entries, key=lambda e: (e.operation_id, e.check, e.phase or "", e.path or ""))
    return Baseline(ordered, previous.source)


def dump_baseline(baseline: Baseline, results: RunResults | None = None) -> str:
    header = [
        "# openai-conformance baseline: known violations, accepted until fixed.",
        "# Each entry needs a reason; `expires: YYYY-MM-DD` makes it count again after that date.",
        "# Patterns: `*` matches anything. Regenerate with `openai-conformance baseline update`.",
    ]
    if results is not None:
        header.append(
            f"# From run {results.run_id} against {results.target}, spec {results.spec.get('version', '?')}."
        )
    entries = [e.to_dict() | ({"expires": e.expires} if e.expires else {}) for e in baseline.entries]
    body = {"version": BASELINE_VERSION, "accepted": entries}  # dates stay YAML dates, unquoted
    return (
        "\n".join(header)
        + "\n"
        + yaml.dump(body, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=110)
    )


class _PlainDumper(yaml.SafeDumper):
    """No `&id001` anchors when entries share an expiry date."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
