"""Violations, the check registry and the configuration every check reads."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from conformance.checks.signature import Signature, signature
from conformance.exchange import Request
from conformance.kinds import FAMILIES, SEVERITIES, Family, Severity
from conformance.spec.deviations import known_deviation

if TYPE_CHECKING:
    from conformance.checks.context import Context
    from conformance.exchange import Exchange

EXCERPT_CHARS = 200


class Reproduction(TypedDict):
    curl: str
    python: str


class Acceptance(TypedDict, total=False):
    reason: str
    expires: str | None


class ViolationRecord(TypedDict):
    """A violation as data, as a run's results carry it: `Violation.to_dict()` plus what the run adds.

    Plain JSON so results.json round-trips without conversion; a TypedDict so every reader is
    type-checked against these keys."""

    check: str
    severity: Severity
    family: Family
    operation_id: str | None
    message: str
    status: NotRequired[int | None]
    expected: NotRequired[str | None]
    got: NotRequired[str | None]
    path: NotRequired[str]
    request: NotRequired[dict[str, Any] | None]
    signature: NotRequired[list[str]]
    response: NotRequired[Any]  # an excerpt of the response, where a check kept one
    known_deviation: NotRequired[str]  # the `spec/deviations.yaml` entry that explains it
    reproduction: NotRequired[Reproduction]  # added by `OperationResult.add_violation`
    accepted: NotRequired[Acceptance]  # set by a baseline
    occurrences: NotRequired[int]  # how often the fuzzer saw it when it kept one copy
    phase: NotRequired[str]  # on a group's first finding (`reports.groups`)


@dataclass
class Violation:
    """One broken expectation: what was expected, what came back, where, and the request that caused it."""

    check: str
    severity: Severity
    family: Family
    operation_id: str | None
    message: str  # one line
    expected: str | None = None
    got: str | None = None  # a trimmed excerpt
    path: str = "$"  # JSON path into the body, e.g. "$.data[0].id"
    request: Request | None = None
    status: int | None = None  # the response status, None when not tied to one response
    known_deviation: str | None = None  # the `spec/deviations.yaml` entry that explains it (not a failure)

    def signature(self) -> Signature:
        """Stable across runs: indexes, ids and values are folded, so repeats group together."""
        return signature(self.check, self.operation_id, self.path, self.message)

    def to_dict(self) -> ViolationRecord:
        record: ViolationRecord = {
            "check": self.check,
            "severity": self.severity,
            "family": self.family,
            "operation_id": self.operation_id,
            "status": self.status,
            "message": self.message,
            "expected": self.expected,
            "got": self.got,
            "path": self.path,
            "request": self.request.to_dict() if self.request is not None else None,
            "signature": list(self.signature()),
        }
        if self.known_deviation:
            record["known_deviation"] = self.known_deviation
        return record


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short printable rendering of a body fragment, for `Violation.got`."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_path(parts: Iterable[str | int]) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass
class Finding:
    """What a check function yields; the registry turns it into a `Violation` with the check's metadata."""

    message: str
    expected: Any = None
    got: Any = None
    path: str = "$"
    severity: Severity | None = None  # overrides the check's default


CheckFunction = Callable[["Context", "Exchange"], Iterable[Finding] | None]


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity
    family: Family
    description: str
    function: CheckFunction = field(repr=False, compare=False)
    max_findings: int | None = None  # per exchange: one broken emitter should not bury a report

    def run(self, ctx: Context, exchange: Exchange) -> list[Violation]:
        """The check's violations, each marked with the known deviation that explains it (unless
        `strict_spec`); a check that crashes (e.g. on a schema jsonschema-rs cannot compile in a
        user's spec) reports that as one violation instead of ending the whole run.

        With `max_findings`, at most that many unexplained findings are listed, then one warning
        says the rest are not; known deviations count apart (as many again at most), so findings the
        real API shares never hide one it does not."""
        try:
            return self._judged(ctx, exchange)
        except Exception as exc:  # noqa: BLE001
            message = f"the check could not judge this exchange: {type(exc).__name__}: {exc}"
            finding = Finding(" ".join(message.split())[:300], severity="warning")
            return [self.violation(finding, exchange)]

    def _judged(self, ctx: Context, exchange: Exchange) -> list[Violation]:
        out: list[Violation] = []
        listed = {True: 0, False: 0}  # known deviation or not -> findings kept
        for finding in self.function(ctx, exchange) or ():
            violation = self.violation(finding, exchange)
            if not ctx.config.strict_spec:
                violation.known_deviation = known_deviation(violation, exchange)
            known = violation.known_deviation is not None
            if self.max_findings is not None and listed[known] >= self.max_findings:
                if known:
                    continue
                note = Finding(
                    f"more than {self.max_findings} {self.id} violations; the rest are not listed",
                    severity="warning",
                )
                out.append(self.violation(note, exchange))
                break
            listed[known] += 1
            out.append(violation)
        return out

    def violation(self, finding: Finding, exchange: Exchange) -> Violation:
        return Violation(
            check=self.id,
            severity=finding.severity or self.severity,
            family=self.family,
            operation_id=exchange.request.operation_id,
            message=finding.message,
            expected=None if finding.expected is None else _text(finding.expected),
            got=None if finding.got is None else _text(finding.got),
            path=finding.path,
            request=exchange.request,
            status=exchange.response.status,
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else excerpt(value)


CHECKS: dict[str, Check] = {}


def check(
    id: str,
    *,
    severity: Severity = "error",
    family: Family,
    description: str,
    max_findings: int | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check: a small function `(ctx, exchange)` yielding `Finding`s."""
    if severity not in SEVERITIES:
        raise ValueError(f"check {id}: severity must be one of {SEVERITIES}")
    if family not in FAMILIES:
        raise ValueError(f"check {id}: family must be one of {FAMILIES}")

    def register(function: CheckFunction) -> CheckFunction:
        if id in CHECKS:
            raise ValueError(f"check {id!r} is registered twice")
        CHECKS[id] = Check(id, severity, family, " ".join(description.split()), function, max_findings)
        return function

    return register


@dataclass
class CheckConfig:
    """What a team may tune without editing checks.

    error_types: how `error.envelope` treats a status/`type` pair outside `spec/error_types.yaml`:
      "strict" (error), "lenient" (warning, the default: the table is observed behaviour, not spec) or "off".
    required_headers: response headers every answer must carry (x-request-id, as the real API sends).
    id_prefixes: warn when an object's id lacks the prefix `spec/objects.yaml` lists for its kind.
    strict_spec: judge by the letter of the spec: a finding `spec/deviations.yaml` explains (the real
      API does it too) is a violation instead of a known deviation.
    max_timestamp_skew: seconds a timestamp may lie in the future before it counts as implausible.
    scrubbed_headers: response headers a recorder filtered out (absent from every exchange of a
      recording; replay infers them per recording): never reported missing.
    skip_checks: check ids (or families) not run at all (`--skip-check`).
    """

    error_types: str = "lenient"
    required_headers: tuple[str, ...] = ("x-request-id",)
    id_prefixes: bool = True
    strict_spec: bool = False
    max_timestamp_skew: float = 10 * 365 * 86400.0
    stream_schema: bool = True
    scrubbed_headers: tuple[str, ...] = ()
    skip_checks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.error_types not in ("strict", "lenient", "off"):
            raise ValueError("error_types must be strict, lenient or off")
        self.required_headers = tuple(h.lower() for h in self.required_headers)
        self.scrubbed_headers = tuple(h.lower() for h in self.scrubbed_headers)
        self.skip_checks = tuple(self.skip_checks)
