"""What every scenario stands on: send a step through the run's session, poll, cancel, clean up.

A `Flow` wraps the runner's `Session` and the scenario's `PhaseState`, so every request goes through
the session's safety layer (budget, rate limit, read-only, tagging) and is judged by every check
like any other; the `Oracle` adds the lifecycle judgement. A scenario is written as

    with Flow(session, phase, cost=20) as flow:
        assistant = flow.call("createAssistant", body={...}, created=True).response.json()
        ...

Entering a flow skips the scenario (outcome "skipped" with the reason) under `--read-only` or when
the request budget left cannot pay for it; leaving it, even by an exception, deletes (or cancels)
what it created. A step that does not get the answer the flow needs records a `lifecycle.workflow`
violation and ends the scenario (`Abort`); another 2xx than the one wanted (201 for 200) is no reason to
stop: `response.schema` reports the undeclared status, and the flow goes on with the object; a step the target does not implement (`runner.partial`)
ends it as "not implemented", with no lifecycle judgement.

Polling: every `poll` waits `interval` seconds between reads (growing by `backoff`), up to `timeout`
seconds and `max_polls` reads. Defaults: 0.05 s / 30 s / 400 reads on the emulator, 1 s (to 10 s) /
600 s / 200 reads elsewhere. Never silent, never stuck: every `heartbeat` seconds (20) a wait prints
one line ("waiting for run run_1: status 'queued', 40 s"); all polls of a run together stop at its
`ceiling` (1800 s; 300 s on the emulator), after which a flow that would poll is skipped with the
reason; and an object that reads the same `stale_reads` (3) times in a row is probed with an id this
run never created: a target that answers that too with the object keeps no state (a mock answering
its examples: `conformance.runner.stateless`), so the flow and every later poll of the run are skipped,
naming it; so is the rest of a flow that judges what the target kept of its writes (`needs_state`). A target that
keeps state but never moves an object (a respx mock such as openai-responses leaves runs `queued`):
an object whose status stays the one its wait began with for `stall` seconds (60; 300 on a real
account) ends the wait, once per run and (object, status): a `lifecycle.workflow` finding on a test
server, a skip with the reason on a real account or for an object with a documented window (see
`Flow._stalled` for why), and every later wait for an object of that kind in that status is skipped
after one read. The environment overrides them (`OPENAI_CONFORMANCE_POLL_INTERVAL`, `_TIMEOUT`,
`_HEARTBEAT`, `_CEILING`, `_STALL`, seconds), and tests may set `session.polling`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from conformance.checks import Violation
from conformance.checks.lifecycle import Oracle, machines, objects_of, workflow
from conformance.errors import ConformanceError
from conformance.exchange import Exchange, Request
from conformance.runner.progress import notice
from conformance.runner.resources import Created, fill, params_of
from conformance.runner.safety import body_properties
from conformance.runner.stateless import evidence_of, keeps_no_state, probe
from conformance.runner.target import TransportFailure


def _answers(status: int, expect: tuple[int, ...]) -> bool:
    """Whether the flow can go on: the status wanted, or another 2xx where a 2xx is wanted (a create
    answered 201 still made the object; the checks already name the undeclared status once)."""
    return status in expect or (200 <= status < 300 and any(200 <= s < 300 for s in expect))


class Skip(Exception):
    """The scenario cannot run here (read-only, budget, an operation the spec lacks)."""


class Abort(Exception):
    """The flow cannot go on; the reason is already recorded as a violation (or as not implemented)."""


@dataclass
class Polling:
    interval: float = 1.0
    timeout: float = 600.0
    max_polls: int = 200
    backoff: float = 1.5
    max_interval: float = 10.0
    heartbeat: float = 20.0
    ceiling: float = 1800.0
    stale_reads: int = 3
    stall: float = 60.0


@dataclass
class PollClock:
    """What the polls of one run share: the seconds spent, and the objects seen stalled."""

    spent: float = 0.0
    stalled: dict[tuple[str, str], str] = field(default_factory=dict)  # (object, status) -> what was seen


def clock_of(session: Any) -> PollClock:
    clock = getattr(session, "poll_clock", None)
    if not isinstance(clock, PollClock):
        clock = PollClock()
        session.poll_clock = clock
    return clock


def polling_for(session: Any) -> Polling:
    """The session's polling settings: `session.polling`, else the environment, else the defaults."""
    chosen = getattr(session, "polling", None)
    if isinstance(chosen, Polling):
        return chosen
    if session.config.is_emulator:
        polling = Polling(
            interval=0.05, timeout=30.0, max_polls=400, backoff=1.0, max_interval=0.05, ceiling=300.0
        )
    else:
        polling = Polling(stall=300.0 if session.config.real_account else 60.0)
    for name, attr in (
        ("POLL_INTERVAL", "interval"),
        ("POLL_TIMEOUT", "timeout"),
        ("POLL_HEARTBEAT", "heartbeat"),
        ("POLL_CEILING", "ceiling"),
        ("POLL_STALL", "stall"),
    ):
        value = os.environ.get(f"OPENAI_CONFORMANCE_{name}")
        if value:
            try:
                number = float(value)
            except ValueError:
                raise ConformanceError(
                    f"OPENAI_CONFORMANCE_{name}: expected seconds, got {value!r}"
                ) from None
            setattr(polling, attr, number)
            if attr == "interval":
                polling.max_interval = max(polling.max_interval, number)
    return polling


class Flow:
    """One scenario's steps, oracle and clean-up."""

    def __init__(self, session: Any, phase: Any, *, cost: int, family: str = "lifecycle") -> None:
        self.session = session
        self.phase = phase
        self.cost = cost
        self.oracle = Oracle()
        self.polling = polling_for(session)
        self.polls: dict[str, int] = {}  # object id -> reads made by `poll`
        self.mark = len(session.resources.created)
        self.cleaned: list[tuple[str, int | str]] = []
        self.aborted: str | None = None
        self.last: Exchange | None = None  # the answer `poll` returned its object from
        phase.result.note_family(family)

    # -- entering and leaving ----------------------------------------------------------------------

    def __enter__(self) -> Flow:
        if self.session.config.read_only:
            raise Skip("--read-only: this scenario creates objects")
        left = self.session.target.budget_left
        if left is not None and left < self.cost:
            raise Skip(f"needs up to {self.cost} requests (clean-up included); the budget has {left} left")
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> bool:
        self.cleanup()
        if isinstance(error, Abort):
            return True
        return False

    # -- steps ---------------------------------------------------------------------------------------

    def operation(self, operation_id: str) -> Any:
        op = self.session.spec.by_id.get(operation_id)
        if op is None:
            raise Skip(f"the spec has no operation {operation_id}")
        return op

    def has(self, *operation_ids: str) -> bool:
        return all(op in self.session.spec.by_id for op in operation_ids)

    def require_fields(self, operation_id: str, *names: str) -> None:
        """Skip a flow that needs request fields the loaded spec's operation does not have."""
        op = self.operation(operation_id)
        declared = body_properties(self.session.spec, op, None)
        missing = [name for name in names if name not in declared]
        if missing:
            raise Skip(f"the spec's {operation_id} has no {', '.join(missing)}")

    def call(
        self,
        operation_id: str,
        params: dict[str, str] | None = None,
        *,
        body: Any = None,
        query: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        media_type: str | None = None,
        expect: Iterable[int] | None = (200,),
        created: bool = False,
    ) -> Exchange:
        """Send one step; judge it with every check and the oracle. `expect=None` takes any answer."""
        op = self.operation(operation_id)
        self._keep_for_cleanup()
        params = {name: str(params[name]) for name in params_of(op.path)} if params else {}
        if body is not None and media_type is None:
            media_type = "multipart/form-data" if files else "application/json"
        request = Request(
            op.method,
            fill(op.path, params),
            op.id,
            op.path,
            dict(params),
            query=dict(query or {}),
            body=body,
            files=files,
            media_type=media_type or ("multipart/form-data" if files else None),
            mode="scenario",
        )
        refused = len(self.phase.not_sent)
        exchange = self.session.exercise(request, op, self.phase)
        if exchange is None:
            if len(self.phase.not_sent) > refused:  # the safety layer would not send it here
                raise Skip(f"{operation_id}: {self.phase.not_sent[-1]}")
            self.abort("the request could not be sent")  # a transport violation is recorded
        if self.phase.missing:  # the target has no such route (`runner.partial.Routes`): nothing to judge
            self.phase.result.outcome = "not-implemented"
            self.phase.result.reason = f"{operation_id} answered {exchange.response.status}"
            self.abort(self.phase.result.reason)
        self.add(self.oracle.observe(exchange, created=created))
        self._adopt_outputs(exchange)
        if expect is not None and not _answers(exchange.response.status, tuple(expect)):
            wanted = "/".join(str(s) for s in expect)
            self.add(
                [
                    workflow(
                        exchange,
                        f"the flow needs {operation_id} to answer {wanted}",
                        wanted,
                        f"{exchange.response.status} {exchange.response.text(160)}",
                    )
                ]
            )
            self.abort(f"{operation_id} answered {exchange.response.status}")
        return exchange

    def abort(self, reason: str) -> NoReturn:
        """End the flow; `aborted` keeps the reason even if a caller (Hypothesis) wraps the exception."""
        self.aborted = reason
        raise Abort(reason)

    def _keep_for_cleanup(self) -> None:
        """Stop before the budget left could no longer pay for the clean-up (one request per object)."""
        left = self.session.target.budget_left
        needed = len([obj for obj in self.created() if not obj.gone and obj.cleanup is not None])
        if left is not None and left <= needed:
            if self.phase.result.outcome == "passed":
                self.phase.result.outcome = "skipped"
                self.phase.result.reason = f"stopped with {left} request(s) of the budget left, kept for cleaning up {needed} object(s)"
            self.abort("request budget kept for clean-up")

    def json(self, exchange: Exchange) -> dict[str, Any]:
        """The answer's JSON object, or a workflow violation and Abort."""
        response = exchange.response
        body = response.json() if response.is_json else None
        if not isinstance(body, dict):
            self.add([workflow(exchange, "the flow needs a JSON object", "an object", response.text(120))])
            self.abort("not a JSON object")
        return body

    def poll(
        self,
        operation_id: str,
        params: dict[str, str],
        *,
        until: Callable[[dict[str, Any]], bool] | None = None,
        kind: str | None = None,
        window: str | None = None,
    ) -> dict[str, Any]:
        """Read an object until `until(obj)` holds (default: a terminal status of its machine); a
        terminal status is read once more, so the oracle sees whether it holds (`lifecycle.terminal`).

        Not getting there within the polling budget is a `lifecycle.workflow` violation, except for
        objects with a documented `window` (a batch's 24 h) on a target other than the emulator: the
        rest of the flow is then skipped with the reason. So is a flow whose run spent its polling
        `ceiling`, or whose target turned out stateless; an object that never leaves its first status
        for `stall` seconds ends the wait once per run (`_stalled`; see the module's docstring).
        """
        clock = clock_of(self.session)
        evidence = evidence_of(self.session)
        if evidence.reason:
            raise Skip(evidence.reason)
        left = self.polling.ceiling - clock.spent
        if left <= 0:
            raise Skip(self._ceiling_spent())
        started = time.monotonic()
        beat = started + self.polling.heartbeat
        wait = self.polling.interval
        reads = same = 0
        previous: dict[str, Any] | None = None
        probed = moved = False
        first: Any = None  # the status the wait began with
        try:
            while True:
                exchange = self.call(operation_id, params)
                obj = self.json(exchange)
                reads += 1
                key = str(obj.get("id"))
                self.polls[key] = self.polls.get(key, 0) + 1
                machine = machines().get(kind or str(obj.get("object")))
                done = (
                    until(obj)
                    if until is not None
                    else machine is None or obj.get("status") in machine.terminal
                )
                if done:
                    self.last = exchange
                    if machine is not None and obj.get("status") in machine.terminal:
                        self.call(operation_id, params)  # a terminal status must hold on a later read
                    return obj
                now = time.monotonic()
                name, status = str(obj.get("object") or kind or operation_id), obj.get("status")
                if reads == 1:
                    first = status
                    seen = clock.stalled.get((name, str(status)))
                    if seen is not None:
                        raise Skip(f"{name} {key} is {status!r} too, and {seen}: this wait was skipped")
                moved = moved or status != first
                if not moved and now - started >= self.polling.stall:
                    self._stalled(
                        exchange, name, key, status, f"{now - started:.0f} s ({reads} reads)", window
                    )
                message = f"{name} {key} is still {status!r} after {reads} reads in {now - started:.1f} s"
                if reads >= self.polling.max_polls or now - started > self.polling.timeout:
                    if window is not None and not self.session.config.is_emulator:
                        raise Skip(
                            f"{message}; it may take up to {window}, so the rest of the flow was not judged"
                        )
                    self.add([workflow(exchange, message, "the awaited status", obj.get("status"))])
                    self.abort(message)
                if now - started >= left:
                    raise Skip(f"{message}; {self._ceiling_spent()}")
                same = same + 1 if obj == previous else 0
                previous = obj
                if same + 1 >= self.polling.stale_reads and not probed and not evidence.asked:
                    probed = True
                    seen = (
                        f"{obj.get('object', 'the object')} {key} (status {obj.get('status')!r}) "
                        f"unchanged {self.polling.stale_reads} times"
                    )
                    if reason := probe(self.session, self.operation(operation_id), params, obj, seen):
                        raise Skip(reason)
                if now >= beat:
                    notice(f"waiting for {name} {key}: status {status!r}, {now - started:.0f} s")
                    beat = now + self.polling.heartbeat
                time.sleep(wait)
                wait = min(self.polling.max_interval, wait * self.polling.backoff)
        finally:
            clock.spent += time.monotonic() - started

    def _stalled(
        self, exchange: Exchange, name: str, key: str, status: Any, spent: str, window: str | None
    ) -> NoReturn:
        """End a wait whose object never left the status it began with, once per run and status.

        On a test server this is a `lifecycle.workflow` finding: the suite is the server's only client
        and nothing there waits for capacity, while the API starts a queued run within seconds and ends
        one it cannot finish as `expired` at its `expires_at`; a server whose objects never move is
        one no polling client (the SDK's `create_and_poll`) gets past. On a real account a queued
        object may legitimately wait for capacity the run cannot see, and an object with a documented
        `window` (a batch's 24 h) may take that long anywhere, so there the rest of the flow is skipped
        with the reason instead. Either way later waits for an object of the same kind in the same
        status are skipped after one read, so the run pays the stall time once, not per flow."""
        clock = clock_of(self.session)
        seen = f"{name} {key} stayed {status!r} for {spent}: the target does not progress {name} objects"
        clock.stalled[(name, str(status))] = seen
        notice(f"{seen}; later waits for a {status!r} {name} are skipped (OPENAI_CONFORMANCE_POLL_STALL)")
        if window is not None and not self.session.config.is_emulator:
            raise Skip(f"{seen}; it may take up to {window}, so the rest of the flow was not judged")
        if self.session.config.real_account:
            raise Skip(
                f"{seen}; on a real account it may be waiting for capacity, so the rest of the flow was not judged"
            )
        wanted = f"a status after {status!r} within {self.polling.stall:.0f} s"
        self.add([workflow(exchange, seen, wanted, status)])
        self.abort(seen)

    def _ceiling_spent(self) -> str:
        return (
            f"the run's polls have used their ceiling of {self.polling.ceiling:.0f} s "
            "(OPENAI_CONFORMANCE_POLL_CEILING)"
        )

    def needs_state(self) -> None:
        """What follows judges what the target kept of this flow's writes: on a target that keeps no
        state (asked once per run, `conformance.runner.stateless`) the rest of the flow is skipped."""
        objects = [*self.created(), *reversed(self.session.resources.created)]
        if reason := keeps_no_state(self.session, objects):
            raise Skip(reason)

    def cancel(
        self,
        operation_id: str,
        params: dict[str, str],
        kind: str,
        object_id: str,
        *,
        retrieve: str | None = None,
    ) -> Exchange:
        """Send a cancel and judge it against the status the oracle last saw. With `retrieve`, a refused
        cancel of an object last seen active re-reads it: if it finished meanwhile (the cancel raced
        with the end), the refusal is judged as a cancel in that terminal status."""
        before = self.oracle.status(object_id)
        exchange = self.call(operation_id, params, expect=None)
        machine = machines().get(kind)
        refused = not 200 <= exchange.response.status < 300
        if retrieve and refused and machine is not None and before not in machine.terminal:
            now = self.json(self.call(retrieve, params)).get("status")
            if now in machine.terminal:
                before = now
        self.add(self.oracle.judge_cancel(exchange, kind, before))
        return exchange

    def add(self, violations: Iterable[Violation]) -> None:
        for violation in violations:
            signature = violation.signature()
            if signature in self.phase.signatures:
                continue
            self.phase.signatures.add(signature)
            self.phase.violations.append(violation)
            self.phase.result.note_family(violation.family)

    def fail(self, exchange: Exchange, message: str, expected: Any = None, got: Any = None) -> None:
        """Record a workflow violation without ending the flow."""
        self.add([workflow(exchange, message, expected, got)])

    def expect_status(
        self, obj: dict[str, Any], expected: str, operation_id: str, params: dict[str, str], message: str
    ) -> bool:
        """Whether a polled object reached `expected`; if not, a workflow violation whose evidence is a
        fresh read of the object (`operation_id` with `params`)."""
        if obj.get("status") == expected:
            return True
        self.fail(self.call(operation_id, params), message, expected, obj.get("status"))
        return False

    # -- objects ---------------------------------------------------------------------------------------

    def adopt(
        self, object_id: str, template: str, params: dict[str, str], creator: str, kind: str | None = None
    ) -> None:
        """Track an object the runner could not see being created (createThreadAndRun, streamed runs,
        files a batch wrote), so the flow's clean-up deletes (or cancels) it too."""
        resources = self.session.resources
        if any(obj.id == object_id and not obj.gone for obj in resources.created):
            return
        binding = {**params, params_of(template)[-1]: object_id}
        cleanup = resources.cleanups.get(template)
        resources.add(Created(object_id, creator, template, binding, kind, cleanup))

    def _adopt_outputs(self, exchange: Exchange) -> None:
        """Files and models that the flow's batches and fine-tuning jobs wrote on their own."""
        mine = {obj.id for obj in self.created()}
        for _, obj in objects_of(exchange):
            if obj["id"] not in mine:
                continue
            for key in ("output_file_id", "error_file_id"):
                if isinstance(obj.get(key), str):
                    self.adopt(obj[key], "/files/{file_id}", {}, obj["object"])
            for file_id in obj.get("result_files") or []:
                if isinstance(file_id, str):
                    self.adopt(file_id, "/files/{file_id}", {}, obj["object"])
            if obj.get("status") == "succeeded" and isinstance(obj.get("fine_tuned_model"), str):
                self.adopt(obj["fine_tuned_model"], "/models/{model}", {}, obj["object"])

    def created(self) -> list[Created]:
        return [obj for obj in self.session.resources.created[self.mark :] if not obj.borrowed]

    def cleanup(self) -> list[tuple[str, int | str]]:
        """Cancel what is still running, then delete what the flow created (parents first: deleting a
        parent removes its children, which are then not deleted one by one). Never raises."""
        objects = [obj for obj in self.created() if not obj.gone and obj.cleanup is not None]
        cancels = [obj for obj in objects if obj.cleanup is not None and obj.cleanup.method != "DELETE"]
        deletes = [obj for obj in objects if obj.cleanup is not None and obj.cleanup.method == "DELETE"]
        for obj in reversed(cancels):  # (objects without a clean-up operation were left out above)
            kind = machines().get(obj.object or "")
            status = self.oracle.status(obj.id)
            if kind is not None and status in kind.terminal:  # nothing to cancel
                obj.gone = True
                continue
            self._clean(obj)
        for obj in deletes:
            if not obj.gone:
                self._clean(obj)
                self.session.resources.forget(obj.path)
        for obj in cancels:
            obj.gone = True
        self.session.cleaned.extend(self.cleaned)
        return self.cleaned

    def _clean(self, obj: Created) -> None:
        op = obj.cleanup
        if op is None:
            return
        try:
            params = {name: obj.params[name] for name in params_of(op.path)}
        except KeyError:
            return
        request = Request(op.method, fill(op.path, params), op.id, op.path, params, mode="cleanup")
        try:
            status: int | str = self.session.target.send(request, op, retries=2).status
        except (TransportFailure, ConformanceError) as exc:
            status = str(exc)
        obj.gone = True
        self.cleaned.append((obj.path, status))
