"""The conformance oracles: named checks that judge one recorded `Exchange` against the spec.

Checks take an exchange (request and response) and nothing else, so the runner, the proxy and
replay all use them unchanged.

    from conformance.checks import run_checks, CheckConfig
    violations = run_checks(exchange, spec)                       # every registered check
    violations = run_checks(exchange, spec, checks=["response.schema", "error.envelope"],
                            config=CheckConfig(error_types="strict"))

Public API
----------
`Violation`     one broken expectation: check id, severity ("error" | "warning"), family ("schema",
                "errors", "pagination", "lifecycle", "streaming", "http"), operation_id, message (one
                line), expected, got (trimmed excerpt), path (JSON path into the body, e.g.
                "$.data[0].id"), request, status; `to_dict()` and `signature()` -> (check, operation,
                status, path with indices as [*]) for grouping.
`check(...)`    decorator registering `(ctx, exchange) -> Iterable[Finding]` under an id; `CHECKS`
                maps id -> `Check` (id, severity, family, description). A `Finding` is what a
                check yields (message, expected, got, path, optional severity override).
`run_checks`    run all (or the named: ids or families) checks on one exchange; `select(names)`.
`CheckConfig`   error-table strictness, required headers, id prefixes, relaxations, checks to skip
                (`skip_checks`, validated by `skip_check_ids`), headers a recorder filtered.
`validate(spec, node, instance)`  the `SchemaError`s of anything against any schema node of
                the spec, through the spec's one validator registry (`spec.validators`).
`check_traversal(pages, ...)`  a whole cursor walk (`pagination.traversal`), for scenarios.
`match_operation(spec, method, path)`  the operation of a recorded request without an operation id.

Contract tables the spec lacks ship in the `spec` data package: `error_types.yaml` (status <-> error
`type`), `objects.yaml` (id prefixes, delete answers, timestamp fields), `streams.yaml` (the grammar
of each stream kind).

Known deviations: a violation that `spec/deviations.yaml` explains (the real API does it too, with
recorded evidence) is returned with `known_deviation` set to the entry's id and does not fail a run;
`CheckConfig(strict_spec=True)` judges by the letter of the spec (`conformance.spec.deviations`).

Relaxations (documented, on by default; spec ambiguities rather than API deviations):
- a JSON body declared as a bare string (file downloads) accepts any content type and body.
- createRun / createThreadAndRun / submitToolOuputsToRun may answer text/event-stream on
  `stream: true` although the spec declares only JSON.
- `positive.accepted` passes a 400 about a referenced object (param `*_id(s)`, code `*not_found`, or
  a body field the spec describes as an ID whose value the message quotes, as `invalid training_file:
  file-…`): whether an id exists is state, not schema.
- createSpeech's `stream_format: sse` asks for a stream as `stream: true` does.
- createTranscription / createTranslation answer text/plain for `response_format` text, srt and vtt
  (the spec declares only JSON).
- a 2xx body that matches several branches of a body-level `oneOf` passes (the transcription union's
  plain branch also matches every verbose and diarized answer; no real answer could pass).
- completions stream chunks may carry `finish_reason: null` until a choice's last chunk (the chunk
  schema is the non-streamed response, where it is a required string).
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks import errors, http, lifecycle, objects, pagination, streaming  # noqa: F401  (registers)
from conformance.checks.context import Context, match_operation
from conformance.checks.model import (
    CHECKS,
    FAMILIES,
    SEVERITIES,
    Check,
    CheckConfig,
    Finding,
    Violation,
    check,
)
from conformance.checks.pagination import check_traversal
from conformance.checks.validation import SchemaError, validate
from conformance.errors import ConformanceError
from conformance.exchange import Exchange
from conformance.spec import Spec

__all__ = [
    "CHECKS",
    "FAMILIES",
    "SEVERITIES",
    "Check",
    "CheckConfig",
    "Context",
    "Finding",
    "SchemaError",
    "Violation",
    "check",
    "check_traversal",
    "match_operation",
    "run_checks",
    "select",
    "skip_check_ids",
    "validate",
]


def select(names: Iterable[str] | None) -> list[Check]:
    """The checks named (ids, or families such as `pagination`); all when `names` is None."""
    if names is None:
        return list(CHECKS.values())
    chosen: dict[str, Check] = {}
    for name in names:
        if name in CHECKS:
            chosen[name] = CHECKS[name]
        elif name in FAMILIES:
            chosen.update({c.id: c for c in CHECKS.values() if c.family == name})
        else:
            raise ConformanceError(f"unknown check {name!r} (see `openai-conformance checks`)")
    return list(chosen.values())


def skip_check_ids(names: Iterable[str]) -> tuple[str, ...]:
    """Validated `--skip-check` names (check ids or families); ValueError naming the valid ids."""
    chosen = tuple(n.strip() for n in names if n.strip())
    unknown = [n for n in chosen if n not in CHECKS and n not in FAMILIES]
    if unknown:
        raise ValueError(
            f"unknown check {unknown[0]!r}; valid ids: {', '.join(sorted(CHECKS))} "
            f"(or a family: {', '.join(FAMILIES)}; `openai-conformance checks` describes them)"
        )
    return chosen


def run_checks(
    exchange: Exchange, spec: Spec, *, checks: Iterable[str] | None = None, config: CheckConfig | None = None
) -> list[Violation]:
    """Every violation the selected checks find in one exchange (errors first, then warnings).

    An exchange without an HTTP status (status < 100: the transport failed) has nothing to judge.
    """
    ctx = Context.of(spec, config)
    skipped = {c.id for c in select(ctx.config.skip_checks)} if ctx.config.skip_checks else set()
    rules = [rule for rule in select(checks) if rule.id not in skipped]
    if exchange.response.status < 100:
        return []
    found: list[Violation] = []
    for rule in rules:
        found.extend(rule.run(ctx, exchange))  # marked with the known deviations (`Check.run`)
    found.sort(key=lambda v: v.severity != "error")
    return found
