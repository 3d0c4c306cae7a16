"""Judging recorded exchanges and keeping the results: one code path for the live proxy and replay.

The live proxy hands every exchange to a `Session`, whose background thread turns it into a
cassette record, writes it (`--record`) and judges the record, so a live run and a replay of its
cassette judge the same data and report the same violations.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from conformance.checks import CheckConfig, Violation, match_operation, run_checks, select
from conformance.checks.lifecycle import Oracle
from conformance.checks.signature import Signature
from conformance.errors import EXIT_OK, EXIT_UNREACHABLE
from conformance.exchange import Exchange, Request
from conformance.kinds import Phase
from conformance.proxy.cassette import Capture, CassetteWriter, to_exchange, to_record, to_request
from conformance.redact import redact_text
from conformance.results import OperationResult, RunResults, deviations_line
from conformance.spec import Spec

PHASE: Phase = "traffic"  # the phase of every result the proxy and replay produce
Printer = Callable[[str], None]
LINE_LIMIT = 300  # characters of a live violation line; the reports keep the full message

UPSTREAM_CHECK = "proxy.upstream"
# Proxy errors that say the upstream broke the HTTP/SSE contract, reported as violations of
# `proxy.upstream`; "upstream_unreachable" is not a violation but an error of the run.
VIOLATION_CODES = (
    "upstream_timeout",
    "upstream_invalid_json",
    "upstream_stream_timeout",
    "upstream_stream_broken",
)


def judge(exchange: Exchange, spec: Spec, config: CheckConfig | None = None) -> list[Violation]:
    """Every check on one exchange (the one place the proxy calls the checks), and the lifecycle
    oracle on the objects of its answer, as a scenario judges every object it sees: a status its
    state machine lacks, a timestamp or field set or missing for the status, a stream's objects
    changing status as their machine forbids. Across exchanges the proxy keeps no memory: the
    order in which concurrent answers arrive need not be the order the server changed an object."""
    found = list(run_checks(exchange, spec, config=config))
    if exchange.response.status >= 100:
        skipped = {c.id for c in select(config.skip_checks)} if config and config.skip_checks else set()
        found += [v for v in Oracle().observe(exchange) if v.check not in skipped]
    return found


def stderr_printer(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Observer:
    """Judges records one by one, prints each violation as one line and fills a `RunResults`."""

    def __init__(
        self,
        spec: Spec,
        results: RunResults,
        printer: Printer | None = stderr_printer,
        verbose: bool = False,
        strict_spec: bool = False,
        skip_checks: tuple[str, ...] = (),
    ) -> None:
        self.spec = spec
        self.check_config = CheckConfig(strict_spec=strict_spec, skip_checks=skip_checks)
        self.results = results
        self.printer = printer
        self.verbose = verbose  # also print one line per exchange
        self.exchanges = 0
        self.reached = 0  # exchanges where the upstream sent a response head
        self.proxy_errors: Counter[str] = Counter()
        self.internal_errors = 0
        self._ops: dict[str, OperationResult] = {}
        self._printed: set[Signature] = set()  # signatures already printed live
        self._lock = threading.Lock()

    def observe(self, record: dict[str, Any]) -> list[Violation]:
        request = to_request(record, self.spec)
        exchange = to_exchange(record, self.spec)
        # Traffic outside the spec (no operation matches), and responses the client walked away
        # from, are forwarded and counted, not judged.
        judged = exchange is not None and request.operation_id is not None and not record.get("client_left")
        violations = judge(exchange, self.spec, self.check_config) if judged and exchange is not None else []
        error = record.get("proxy_error")
        # The checks see a bad body or a cut stream themselves; a proxy violation covers the rest
        # (no response at all) so that every broken exchange counts once.
        if error and error.get("code") in VIOLATION_CODES and (exchange is None or not violations):
            violations.append(_upstream_violation(error, request, exchange))
        with self._lock:
            self._record(record, request, exchange, violations)
        return violations

    def _record(
        self, record: dict[str, Any], request: Request, exchange: Exchange | None, violations: list[Violation]
    ) -> None:
        self.exchanges += 1
        self.reached += exchange is not None
        result = self._result(request)
        result.requests += 1
        result.examples += 1
        if self.verbose:
            elapsed = float((record.get("timing") or {}).get("elapsed") or 0.0)
            verdict = f"{len(violations)} violations" if violations else "ok"
            self._print("EXCHANGE", request, exchange, f"{elapsed * 1000:.0f} ms {verdict}")
        for violation in violations:
            result.add_violation(violation, base_url=self.results.target)
            if self._first(violation):
                kind = "DEVIATION" if violation.known_deviation else "VIOLATION"
                text = f"[{violation.check}] {violation.path}: {violation.message}"
                self._print(kind, request, exchange, text)
        if record.get("client_left"):
            result.reason = _reason(
                result.reason, "client_left", "the client disconnected mid-response (not judged)"
            )
        error = record.get("proxy_error")
        if error:
            code = str(error.get("code"))
            self.proxy_errors[code] += 1
            if not any(v.check == UPSTREAM_CHECK for v in violations):
                self._print("UPSTREAM", request, None, _what_the_client_got(error))
            if code not in VIOLATION_CODES and result.outcome != "failed":
                result.outcome = "error"
            result.reason = _reason(result.reason, code, str(error.get("message")))

    def _result(self, request: Request) -> OperationResult:
        key = request.operation_id or f"{request.method} {request.path}"
        result = self._ops.get(key)
        if result is None:
            if request.operation_id:
                op = self.spec.operation(request.operation_id)
                result = OperationResult.for_operation(op, PHASE)
            else:
                result = OperationResult(
                    key,
                    request.method,
                    request.path,
                    phase=PHASE,
                    outcome="skipped",
                    reason="no operation of the spec matches this method and path",
                )
            self._ops[key] = self.results.add(result)
        return result

    def _first(self, violation: Violation) -> bool:
        """Whether to print this violation live: the first of its signature (the groups at the end
        count the rest), and a known deviation only with `verbose`."""
        if violation.known_deviation and not self.verbose:
            return False
        signature = violation.signature()
        if signature in self._printed:
            return False
        self._printed.add(signature)
        return True

    def _print(self, kind: str, request: Request, exchange: Exchange | None, text: str) -> None:
        if self.printer is None:
            return
        status = f" -> {exchange.response.status}" if exchange is not None else ""
        op = request.operation_id or "(no operation)"
        line = redact_text(f"{kind} {op} {request.method} {request.path}{status} {text}")
        self.printer(line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + "…")

    def note_internal_error(self, record: dict[str, Any], exc: BaseException) -> None:
        """A check crashed on an exchange: report it, keep serving."""
        with self._lock:
            self.internal_errors += 1
            request = to_request(record, self.spec)
            result = self._result(request)
            result.outcome = "error"
            result.reason = _reason(result.reason, "internal_error", f"{type(exc).__name__}: {exc}")
        if self.printer is not None:
            self.printer(
                redact_text(f"ERROR judging {request.method} {request.path}: {type(exc).__name__}: {exc}")
            )

    def finish(self) -> int:
        """Settle the results; exit 3 when the upstream never answered, else 1 on violations, else 0."""
        self.results.requests_sent = self.exchanges
        unreachable = (
            self.exchanges > 0 and self.reached == 0 and self.proxy_errors["upstream_unreachable"] > 0
        )
        code = self.results.finish()
        if unreachable and code == EXIT_OK:
            code = self.results.finish(EXIT_UNREACHABLE)
        return code

    def summary(self) -> str:
        counts = self.results.counts()
        text = (
            f"{self.exchanges} exchanges, {len(self._ops)} operations, {counts['new_violations']} violations "
            f"({counts['failed']} operations failed), {deviations_line(self.results.violations())}"
        )
        if self.proxy_errors:
            text += ", upstream problems: " + ", ".join(
                f"{k} x{v}" for k, v in sorted(self.proxy_errors.items())
            )
        if self.internal_errors:
            text += f", {self.internal_errors} exchanges could not be judged"
        return text


def _what_the_client_got(error: dict[str, Any]) -> str:
    code, message = error.get("code"), error.get("message")
    if str(code).startswith("upstream_stream"):
        return f"the proxy ended the stream with an error event ({code}): {message}"
    return f"the client got {error.get('status')} {code}: {message}"


def _upstream_violation(error: dict[str, Any], request: Request, exchange: Exchange | None) -> Violation:
    return Violation(
        check=UPSTREAM_CHECK,
        severity="error",
        family="http",
        operation_id=request.operation_id,
        message=_what_the_client_got(error),
        expected="a complete, well-formed response in time",
        got=str(error.get("code")),
        request=request,
        status=exchange.response.status if exchange is not None else None,
    )


def _reason(previous: str | None, code: str, message: str) -> str:
    line = f"{code}: {message}"
    if not previous:
        return line
    return previous if line in previous.split("; ") else f"{previous}; {line}"


class Session:
    """The live proxy's background worker: record, write and judge exchanges off the request path."""

    def __init__(self, observer: Observer, writer: CassetteWriter | None = None) -> None:
        self.observer = observer
        self.writer = writer
        self._queue: queue.Queue[Capture | None] = queue.Queue()
        self._seq = 0
        self._thread = threading.Thread(target=self._work, name="conformance-proxy-checks", daemon=True)
        self._thread.start()

    def submit(self, capture: Capture) -> None:
        """Called on the request path: never blocks."""
        self._queue.put_nowait(capture)

    def drain(self) -> None:
        """Wait until every submitted exchange has been judged."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self.writer is not None:
            self.writer.close()

    def _work(self) -> None:
        while True:
            capture = self._queue.get()
            try:
                if capture is None:
                    return
                self._safe_handle(capture)
            finally:
                self._queue.task_done()

    def _handle(self, capture: Capture) -> None:
        self._seq += 1
        op = match_operation(self.observer.spec, capture.method, capture.path)
        operation_id = op.id if op else None
        record = to_record(capture, self._seq, operation_id)
        if self.writer is not None:
            self.writer.write(record)
        # The checks judge what went over the wire; redaction is for the cassette and the reports.
        record = to_record(capture, self._seq, operation_id, redacted=False)
        try:
            self.observer.observe(record)
        except Exception as exc:  # a crashing check must not stop the proxy
            self.observer.note_internal_error(record, exc)

    def _safe_handle(self, capture: Capture) -> None:
        try:
            self._handle(capture)
        except Exception as exc:  # e.g. a cassette write failing: report it, keep serving
            self.observer.printer and self.observer.printer(
                f"ERROR recording {capture.method} {capture.path}: {exc}"
            )
