"""The results of one run: what the runner fills and every report is written from.

A `RunResults` is plain data (dataclasses of JSON values), so a run can be saved as
`results.json`, read back (`RunResults.from_dict`) and merged, diffed or re-rendered later
without the spec or the target.

    RunResults                      one run (or a merge of shards)
      run_id, tool_version          "20261122T012000Z-3f9a1c", conformance.__version__
      spec                          Spec.describe(): source, location, title, version, openapi, sha256
      target                        the base URL, or "emulator" (never a key: URLs lose any userinfo)
      target_kind                   "real-account" or "test-server" (what the run was allowed to do);
                                    `left_out()` groups what a real-account target left out, by reason
      options, seed, profile        how the run was started (secrets are redacted when written)
      started, finished             ISO 8601 UTC timestamps
      requests_sent, exit_code      totals; exit codes are those of `conformance.errors`
      baseline                      None, or what applying a baseline changed (see reports.baseline)
      compatibility                 None, or with a profile its score per contract family
                                    (`conformance.reports.score.score_results`)
      shard                         a shard (`--shard I/N`): {index, total, run}, `run` shared by every
                                    shard of one run; None when not sharded
      shards                        the run ids `report merge` joined (empty for a single run)
      missing_shards                a merge made with --allow-partial: the shards it lacked ("2/4")
      recordings                    replay only (else None): where the evidence came from: files per
                                    format, files ignored, exchanges judged, other hosts (not judged),
                                    headers the recorders filtered, and the date range of the evidence
                                    (`conformance.proxy.provenance`)
      operations: [OperationResult] one per operation and phase
        operation_id, method, path, tags, phase   phase: "positive", "negative", "stateful", ...
        outcome                     passed | failed | not-implemented | skipped | error
        requests, examples          counts
        families                    contract families whose checks ran (`kinds.FAMILIES`; `note_family`);
                                    the phase's usual families are assumed on top (reports.matrix)
        reason                      why skipped / not implemented / errored (free text)
        duration                    seconds spent
        violations: [dict]          `conformance.checks.Violation.to_dict()`:
            check, severity, family, operation_id, status, message, expected, got, path,
            request, signature (+ an optional `response` excerpt), plus `reproduction`
            {curl, python} added by `OperationResult.add_violation` (the run's query and auth
            header; credentials come from $OPENAI_API_KEY or --api-key-env, never from the headers), and `accepted`
            {reason, expires} set by a baseline.
      counts (results.json only)    operation results per outcome; violations, new, accepted,
                                    known_deviations (findings `spec/deviations.yaml` explains)

The runner builds one `OperationResult` per operation and phase (`OperationResult.for_operation`),
calls `add_violation` for each violation (which attaches the reproduction), optionally
`reports.baseline.apply_baseline`, then `finish()` and `reports.write_reports`. Outcomes and the
exit code follow the violations not accepted by a baseline (`settle()`); an exit code 3 or 4 the
runner sets survives settling. Keys and secrets are removed when reports are written
(`conformance.redact`), so the in-memory results may hold the raw request headers.
"""

from __future__ import annotations

import copy
import json
import secrets
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

from conformance import __version__
from conformance.checks.errors import AUTH_BREAKS
from conformance.checks.model import Reproduction, Violation, ViolationRecord
from conformance.errors import EXIT_OK, EXIT_VIOLATIONS
from conformance.kinds import OUTCOMES, Outcome, Phase
from conformance.redact import redact

SCHEMA_VERSION = 1
# Which outcome wins when several results are folded into one (a merge, a matrix cell).
_PRECEDENCE: dict[str, int] = {"failed": 5, "error": 4, "not-implemented": 3, "passed": 2, "skipped": 1}
# The port `openai-conformance emulator` serves on by default, and the base URL reproductions of a run
# against the in-process emulator name (the reports say to serve the emulator there first).
EMULATOR_PORT = 8080
EMULATOR_BASE_URL = f"http://127.0.0.1:{EMULATOR_PORT}/v1"
# Every skip reason a real-account target causes says so (runner.selection); the reports group them.
REAL_ACCOUNT = "on a real-account target"
STOPPED = "run stopped: "  # the reason of every result the stop cut short or left out, then why


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id(when: datetime | None = None) -> str:
    """Sortable and unique: a UTC timestamp and six random hex digits."""
    when = when or datetime.now(UTC)
    return f"{when.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def clean_target(target: str) -> str:
    """A target as reports may show it: a URL without user:password@, or a name such as "emulator"."""
    parts = urlsplit(target)
    if parts.scheme and parts.netloc:
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return target


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The outcome that wins: failed > error > not-implemented > passed > skipped."""
    return max(outcomes, key=lambda o: _PRECEDENCE.get(o, 0), default="skipped")


def is_new(violation: ViolationRecord) -> bool:
    """Neither accepted by a baseline nor a known deviation of the real API: a violation that counts."""
    return not violation.get("accepted") and not violation.get("known_deviation")


def is_deviation(violation: ViolationRecord) -> bool:
    """A finding `spec/deviations.yaml` explains: the real API does the same (kept, not counted)."""
    return bool(violation.get("known_deviation")) and not violation.get("accepted")


def deviations_line(violations: list[ViolationRecord]) -> str:
    """How many findings the known-deviations table explains, and by how many of its entries."""
    ids = [v["known_deviation"] for v in violations if is_deviation(v)]
    return f"matches the real API: {len(ids)} findings, {len(set(ids))} deviations"


@dataclass
class OperationResult:
    operation_id: str
    method: str
    path: str
    tags: list[str] = field(default_factory=list)
    phase: Phase = "positive"
    outcome: Outcome = "passed"
    requests: int = 0
    examples: int = 0
    families: list[str] = field(default_factory=list)
    reason: str | None = None
    duration: float = 0.0  # seconds
    violations: list[ViolationRecord] = field(default_factory=list)

    @classmethod
    def for_operation(cls, operation: Any, phase: Phase, **kwargs: Any) -> OperationResult:
        """From a `conformance.spec.Operation`. The pagination checks judge every page a list operation
        returns, so its positive and examples phases cover the pagination family."""
        result = cls(operation.id, operation.method, operation.path, list(operation.tags), phase, **kwargs)
        if getattr(operation, "paginated", False) and phase in ("positive", "examples"):
            result.note_family("pagination")
        return result

    def add_violation(
        self, violation: Violation | ViolationRecord, base_url: str | None = None, auth: Auth | None = None
    ) -> ViolationRecord:
        """Record a `Violation` (or its record), attach a reproduction and mark the result failed."""
        data = violation.to_dict() if isinstance(violation, Violation) else ViolationRecord(**violation)
        if data["operation_id"] is None:
            data["operation_id"] = self.operation_id
        request = data.get("request")
        if "reproduction" not in data and isinstance(request, dict):
            data["reproduction"] = reproduction(request, base_url, auth or BEARER)
        self.violations.append(data)
        if not is_deviation(data):  # a known deviation leaves the outcome as it is
            self.outcome = "failed" if self.new_violations() else worst([self.outcome, "passed"])
        return data

    def note_family(self, family: str) -> None:
        """Record that checks of a family ran (without it, the phase's usual families are assumed)."""
        if family not in self.families:
            self.families.append(family)

    def new_violations(self) -> list[ViolationRecord]:
        return [v for v in self.violations if is_new(v)]

    def settle(self) -> None:
        """Recompute the outcome from the violations (after a baseline accepted some)."""
        if self.outcome in ("failed", "passed"):
            self.outcome = "failed" if self.new_violations() else "passed"

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation_id, self.phase)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["tags"], data["families"] = list(self.tags), list(self.families)
        data["violations"] = [dict(v) for v in self.violations]  # asdict's deep copy is slow on big runs
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OperationResult:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class RunResults:
    run_id: str = field(default_factory=new_run_id)
    tool_version: str = __version__
    spec: dict[str, Any] = field(default_factory=dict)
    target: str = "emulator"
    target_kind: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    profile: str | None = None
    started: str = field(default_factory=now)
    finished: str | None = None
    requests_sent: int = 0
    exit_code: int | None = None
    baseline: dict[str, Any] | None = None
    compatibility: dict[str, Any] | None = None  # with a profile: `conformance.profiles.score_results`
    budget_spent: bool = False  # --request-budget ran out before the end (exit 4, or 0 on a clean run)
    shard: dict[str, Any] | None = None  # a shard's {index, total, run}: `runner.selection.shard_record`
    shards: list[str] = field(default_factory=list)  # run ids joined by `report merge`
    missing_shards: list[str] = field(default_factory=list)  # `report merge --allow-partial`: "I/N" absent
    recordings: dict[str, Any] | None = None  # replay: where the evidence came from
    operations: list[OperationResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.target = clean_target(self.target)

    def add(self, result: OperationResult) -> OperationResult:
        self.operations.append(result)
        return result

    @property
    def base_url(self) -> str:
        return self.target if "://" in self.target else EMULATOR_BASE_URL

    def violations(self) -> list[ViolationRecord]:
        return [v for op in self.operations for v in op.violations]

    def stop_reason(self) -> str | None:
        """Why the run stopped before its end (request budget spent, target gone), if it did."""
        for op in self.operations:
            if op.reason and op.reason.startswith(STOPPED):
                return op.reason.removeprefix(STOPPED)
        return None

    def left_out(self) -> dict[str, int]:
        """Operation × phase results a real-account target skipped, counted per reason."""
        counts: dict[str, int] = {}
        for op in self.operations:
            if op.outcome == "skipped" and op.reason and REAL_ACCOUNT in op.reason:
                reason = op.reason.split(": ", 1)[-1] if op.phase == "scenarios" else op.reason
                counts[reason] = counts.get(reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def kind_line(self) -> str:
        """The target kind and what it left out, for the report headers."""
        kind = self.target_kind or "unknown kind"
        left = self.left_out()
        if not left:
            return f"{kind}: nothing left out"
        listed = "; ".join(f"{count} × {reason}" for reason, count in left.items())
        return f"{kind}: left out {sum(left.values())} operation × phase results ({listed})"

    def new_violations(self) -> list[ViolationRecord]:
        return [v for v in self.violations() if is_new(v)]

    def implementation(self) -> dict[str, str]:
        """Per operation the target answered at all: "implemented" when any phase passed or failed,
        else "not-implemented" when a phase found it so (skipped and errored phases say nothing). A
        scenario failed only by the steps before its operation (a create answered 201 ahead of a 404)
        shows nothing about that operation."""
        found: dict[str, str] = {}
        for op in self.operations:
            if op.outcome == "passed" or (op.outcome == "failed" and _shows(op)):
                found[op.operation_id] = "implemented"
            elif op.outcome == "not-implemented":
                found.setdefault(op.operation_id, "not-implemented")
        return found

    def not_implemented(self) -> list[str]:
        """The operations no phase found implemented, sorted."""
        return sorted(op for op, state in self.implementation().items() if state == "not-implemented")

    def implemented_line(self) -> str | None:
        """ "K of N operations implemented" when some are not; None when every tested one is."""
        found = self.implementation()
        missing = self.not_implemented()
        if not missing:
            return None
        return f"{len(found) - len(missing)} of {len(found)} operations implemented"

    def counts(self) -> dict[str, int]:
        """Operation results per outcome, plus violation totals."""
        counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        for op in self.operations:
            counts[op.outcome] = counts.get(op.outcome, 0) + 1
        every = self.violations()
        counts["violations"] = len(every)
        counts["new_violations"] = sum(is_new(v) for v in every)
        counts["known_deviations"] = sum(is_deviation(v) for v in every)
        counts["accepted_violations"] = len(every) - counts["new_violations"] - counts["known_deviations"]
        return counts

    def settle(self) -> int:
        """Recompute outcomes and the exit code from the violations; returns the exit code.

        A run in which the target implements none of the operations it answered fails (exit 1), and so
        does one whose profile promises an operation the target does not implement.
        An exit code the runner set for another reason (unreachable, budget spent) is kept.
        """
        for op in self.operations:
            op.settle()
        found = self.implementation()
        nothing = bool(found) and all(state == "not-implemented" for state in found.values())
        promised_missing = bool(((self.compatibility or {}).get("operations") or {}).get("not_implemented"))
        code = EXIT_VIOLATIONS if self.new_violations() or nothing or promised_missing else EXIT_OK
        if self.exit_code is not None and self.exit_code not in (EXIT_OK, EXIT_VIOLATIONS):
            code = self.exit_code
        self.exit_code = code
        return code

    def finish(self, exit_code: int | None = None) -> int:
        """Stamp the end time and settle; `exit_code` overrides (e.g. budget spent)."""
        self.finished = now()
        if exit_code is not None:
            self.exit_code = exit_code
        return self.settle()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        for f in fields(self):
            data[f.name] = copy.deepcopy(getattr(self, f.name)) if f.name != "operations" else None
        data["operations"] = [op.to_dict() for op in self.operations]
        data["counts"] = self.counts()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResults:
        known = {f.name for f in fields(cls)} - {"operations"}
        run = cls(**{k: v for k, v in data.items() if k in known})
        run.operations = [OperationResult.from_dict(op) for op in data.get("operations") or []]
        return run


# -- reproductions ------------------------------------------------------------------------------


class Auth(NamedTuple):
    """How a run sent its key: the header (`Authorization` as `Bearer KEY`, or Azure's `api-key: KEY`)
    and the environment variable a reproduction reads it from (the key itself is never written)."""

    header: str = "Authorization"
    env: str = "OPENAI_API_KEY"

    @classmethod
    def of(cls, options: Mapping[str, Any] | None) -> Auth:
        """The run's `--auth-header` and `--api-key-env`, from its recorded options."""
        options = options or {}
        return cls(
            str(options.get("auth_header") or cls._field_defaults["header"]),
            str(options.get("api_key_env") or cls._field_defaults["env"]),
        )

    def credential(self) -> tuple[str, str]:
        """(prefix, environment variable) of the key's header."""
        return ("Bearer " if self.header.lower() == "authorization" else "", self.env)


BEARER = Auth()  # the official API's `Authorization: Bearer $OPENAI_API_KEY`
_AUTH_HEADERS = {"authorization", "openai-organization", "openai-project", "api-key", "x-api-key"}
_ENV_FOR_HEADER = {
    "authorization": ("Bearer ", "OPENAI_API_KEY"),
    "openai-organization": ("", "OPENAI_ORG_ID"),
    "openai-project": ("", "OPENAI_PROJECT_ID"),
    "api-key": ("", "OPENAI_API_KEY"),
    "x-api-key": ("", "OPENAI_API_KEY"),
}


def _url(request: dict[str, Any], base_url: str | None) -> str:
    base = (base_url or EMULATOR_BASE_URL).rstrip("/")
    url = base + str(request.get("path") or "/")
    query = request.get("query") or {}
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query, doseq=True)
    return url


def _headers(request: dict[str, Any], auth: Auth) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Plain headers, and credential headers as (prefix, environment variable); the key goes in the
    header the run sent it in."""
    plain: dict[str, str] = {}
    secret: dict[str, tuple[str, str]] = {}
    if str(request.get("breaks") or "").startswith(AUTH_BREAKS):  # a credential probe: sent as recorded
        headers = request.get("headers") or {}
        return {k: str(v) for k, v in headers.items() if k.lower() != "content-length"}, {}
    for name, value in (request.get("headers") or {}).items():
        if name.lower() == auth.header.lower():
            secret[name] = auth.credential()
        elif name.lower() in _AUTH_HEADERS:
            prefix, env = _ENV_FOR_HEADER[name.lower()]
            secret[name] = (prefix, auth.env if env == "OPENAI_API_KEY" else env)
        elif name.lower() != "content-length":
            plain[name] = str(value)
    if not any(k.lower() == auth.header.lower() for k in secret):
        secret = {auth.header: auth.credential(), **secret}
    media = request.get("media_type")
    if "content" in request and media and not any(k.lower() == "content-type" for k in plain):
        plain["Content-Type"] = str(media)  # raw bytes go with the type the run sent (curl says urlencoded)
    return plain, secret


def _body_kind(request: dict[str, Any]) -> str:
    media = (request.get("media_type") or "").lower()
    if "content" in request:
        return "content"
    if request.get("files") or media == "multipart/form-data":
        return "multipart"
    if media == "application/x-www-form-urlencoded":
        return "form"
    return "json" if "body" in request else "none"


def reproduction(request: dict[str, Any], base_url: str | None = None, auth: Auth = BEARER) -> Reproduction:
    """A curl command and a short httpx snippet that resend a request with the run's query and auth
    header; credentials come from the environment ($OPENAI_API_KEY, ...), never from the recorded headers."""
    request = _redacted_request(request)
    return {"curl": curl_command(request, base_url, auth), "python": python_snippet(request, base_url, auth)}


def _redacted_request(request: dict[str, Any]) -> dict[str, Any]:
    return redact(request)


def curl_command(request: dict[str, Any], base_url: str | None = None, auth: Auth = BEARER) -> str:
    method = str(request.get("method") or "GET").upper()
    parts = ["curl", "-sS", "-X", method, shlex.quote(_url(request, base_url))]
    plain, secret = _headers(request, auth)
    for name, (prefix, env) in secret.items():
        parts += ["-H", f'"{name}: {prefix}${env}"']
    kind = _body_kind(request)
    for name, value in plain.items():
        if kind in ("multipart",) and name.lower() == "content-type":
            continue  # curl sets the boundary itself
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if kind == "json":
        if not any(k.lower() == "content-type" for k in plain):
            parts += ["-H", shlex.quote("Content-Type: application/json")]
        parts += ["--data-raw", shlex.quote(json.dumps(request["body"], ensure_ascii=False))]
    elif kind == "content":
        parts += ["--data-binary", shlex.quote(str(request["content"]))]
    elif kind == "form":
        for name, value in (request.get("body") or {}).items():
            parts += ["--data-urlencode", shlex.quote(f"{name}={_form_value(value)}")]
    elif kind == "multipart":
        for name, value in (request.get("body") or {}).items():
            parts += ["-F", shlex.quote(f"{name}={_form_value(value)}")]
        for name, (filename, _size, kind_) in (request.get("files") or {}).items():
            parts += ["-F", shlex.quote(f"{name}=@{filename};type={kind_}")]
    return " \\\n  ".join(_join_pairs(parts))


def _join_pairs(parts: list[str]) -> list[str]:
    """Keep each flag with its value on one line: `curl ... URL`, `-H 'X: y'`, ..."""
    head = " ".join(parts[:5])
    rest = parts[5:]
    return [head] + [f"{rest[i]} {rest[i + 1]}" for i in range(0, len(rest) - 1, 2)]


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def python_snippet(request: dict[str, Any], base_url: str | None = None, auth: Auth = BEARER) -> str:
    method = str(request.get("method") or "GET").upper()
    base = (base_url or EMULATOR_BASE_URL).rstrip("/")
    plain, secret = _headers(request, auth)
    kind = _body_kind(request)
    if kind == "multipart":
        plain = {k: v for k, v in plain.items() if k.lower() != "content-type"}
    lines = ["import os", "", "import httpx", ""]
    header_items = [
        f"    {name!r}: {prefix!r} + os.environ[{env!r}]," for name, (prefix, env) in secret.items()
    ]
    header_items = [line.replace("'' + ", "") for line in header_items]
    header_items += [f"    {name!r}: {value!r}," for name, value in plain.items()]
    lines += ["headers = {", *header_items, "}"]
    args = [f"{method!r}", f"{base + str(request.get('path') or '/')!r}"]
    if request.get("query"):
        args.append(f"params={_py(request['query'])}")
    args.append("headers=headers")
    if kind == "json":
        args.append(f"json={_py(request['body'])}")
    elif kind == "content":
        args.append(f"content={str(request['content']).encode()!r}")
    elif kind in ("form", "multipart"):
        fields_ = {k: _form_value(v) for k, v in (request.get("body") or {}).items()}
        if fields_:
            args.append(f"data={fields_!r}")
        if kind == "multipart":
            files = {
                name: (filename, f"b'\\0' * {size}", kind_)
                for name, (filename, size, kind_) in (request.get("files") or {}).items()
            }
            items = ", ".join(f"{n!r}: ({f!r}, {blob}, {k!r})" for n, (f, blob, k) in files.items())
            args.append(f"files={{{items}}}")
    lines += ["response = httpx.request(", *(f"    {arg}," for arg in [*args, "timeout=60"]), ")"]
    lines.append("print(response.status_code, response.headers.get('content-type'))")
    lines.append("print(response.text)")
    return "\n".join(lines) + "\n"


def _py(value: Any) -> str:
    """A JSON value as Python source (true/false/null become True/False/None)."""
    return repr(json.loads(json.dumps(value)))


def _shows(result: OperationResult) -> bool:
    """Whether a failed result shows its operation answered: any phase but a scenario, or a scenario
    with a finding on that operation's own step."""
    return result.phase != "scenarios" or any(
        v.get("operation_id") == result.operation_id for v in result.violations
    )
