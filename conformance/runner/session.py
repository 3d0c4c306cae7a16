"""One conformance run: the target, the operations, the objects created, and the results.

The pytest plugin makes one `Session` per process and asks it to run one operation and phase per
test item; `fuzz` drives the same session in a loop. Each phase generates requests (the strategies),
sends them through the safety layer (binding to created objects, tagging, clamping, read-only),
judges every exchange with every check, and folds what it saw into a `results.OperationResult`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure, FlakyStrategyDefinition, Unsatisfiable

from conformance.checks import CHECKS, CheckConfig, Violation, crud, run_checks
from conformance.checks import select as select_checks
from conformance.checks.signature import Signature
from conformance.errors import BudgetSpent, ConformanceError, TargetUnreachable
from conformance.exchange import Exchange, Request, Response
from conformance.kinds import Phase as RunPhase
from conformance.results import STOPPED, Auth, OperationResult, RunResults, new_run_id
from conformance.runner import auth
from conformance.runner.config import RunConfig
from conformance.runner.fixed import with_fixed
from conformance.runner.partial import Routes
from conformance.runner.resources import Created, Resources, ends_object, fill, params_of
from conformance.runner.safety import TAG_KEY, body_properties, clamp, tag
from conformance.runner.scenarios import registered
from conformance.runner.selection import (
    SAFE_METHODS,
    Selected,
    select,
    shard_record,
    skip_reason,
    unowned_reason,
)
from conformance.runner.stateless import STATE_BOUND, keeps_no_state
from conformance.runner.target import Interrupted, Target, TransportFailure
from conformance.runner.verdict import accept, is_relaxed, relaxed_check_config, run_baseline, run_profile
from conformance.spec import Operation, Spec
from conformance.strategies.ids import kind_for
from conformance.strategies.negative import PATH_ID_SHAPE

Listener = Callable[[Exchange, Operation | None, list[Any]], None]
StopRun = (BudgetSpent, TargetUnreachable)


class _Stop(Exception):
    """Raised inside a Hypothesis test to end it early (budget spent, target gone)."""


@dataclass
class PhaseState:
    """What one operation and phase saw, before it becomes an `OperationResult`."""

    result: OperationResult
    sent: int = 0
    unrouted: int = 0
    signatures: set[Signature] = field(default_factory=set)
    violations: list[Any] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)
    last: list[Any] = field(default_factory=list)  # the violations of the latest exchange
    missing: bool = False  # the latest answer says the operation is not implemented (`Routes.missing`)


def transport_violation(request: Request, message: str) -> Violation:
    return Violation(
        check="transport",
        severity=CHECKS["transport"].severity,
        family=CHECKS["transport"].family,
        operation_id=request.operation_id,
        message=message,
        expected="a complete HTTP response",
        got=message,
        request=request,
    )


class Session:
    """A run against one target. Not thread-safe; one per process (xdist workers each have their own)."""

    def __init__(
        self,
        config: RunConfig,
        spec: Spec | None = None,
        *,
        app: Any = None,
        run_id: str | None = None,
        database: Any = None,
        shrink: bool = False,
    ) -> None:
        self.config = config
        self.spec = spec or config.load_spec()
        self.run_id = run_id or new_run_id()
        self.profile = run_profile(config)
        self.baseline = run_baseline(config)
        self.results = RunResults(
            run_id=self.run_id,
            spec=self.spec.describe(),
            target=config.target,
            target_kind=config.kind,
            options=config.public(),
            seed=config.seed,
            profile=self.profile.name if self.profile is not None else None,
            shard=shard_record(config, str(self.spec.describe().get("sha256", ""))),
        )
        self.selection: list[Selected] = select(self.spec.operations, config)
        self.selected = {s.operation.id: s for s in self.selection}
        self.resources = Resources(self.spec)
        self.listeners: list[Listener] = []
        self.database = database
        self.shrink = shrink
        self.stopped: ConformanceError | None = None
        # transport findings since the target last answered: folded into the stop if it goes away
        self._unanswered: list[tuple[PhaseState, Violation]] = []
        self.check_config = relaxed_check_config(
            self.profile, CheckConfig(strict_spec=config.strict_spec, skip_checks=tuple(config.skip_check))
        )
        self.skipped_checks = {c.id for c in select_checks(config.skip_check)}
        self.state = _new_state()
        self.target = Target(config, self.spec, app=app)
        self.routes = Routes()  # which operations answered: the evidence for "not implemented"
        self.cleaned: list[tuple[str, int | str]] = []
        self._strategy_cache: dict[tuple[str, str], st.SearchStrategy | None] = {}
        self.failed_creates: dict[str, int] = {}  # item template -> set-ups that found no accepted request

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self.cleanup()
        finally:
            self.results.requests_sent = self.target.requests_sent
            self.target.close()

    def cleanup(self) -> list[tuple[str, int | str]]:
        """Delete (or cancel) every live object the run created, children first. Never raises."""
        done = []
        for obj in self.resources.pending_cleanup():
            op = obj.cleanup
            assert op is not None
            try:
                params = {name: obj.params[name] for name in params_of(op.path)}
            except KeyError:
                continue
            request = Request(op.method, fill(op.path, params), op.id, op.path, params, mode="cleanup")
            try:
                response = self.target.send(request, op, retries=2, budget=False)
                status: int | str = response.status
            except (TransportFailure, ConformanceError) as exc:
                status = str(exc)
            obj.gone = True
            done.append((obj.path, status))
        self.cleaned.extend(done)
        return done

    # -- sending ---------------------------------------------------------------------------------

    def send(
        self, request: Request, operation: Operation | None, phase: PhaseState | None = None
    ) -> Exchange | None:
        """Send one request through the safety layer; None when it must not be sent on this target."""
        if self.stopped is not None:
            raise _Stop()
        if operation is not None:
            request = self.prepare(request, operation)
            if request.mode == "positive" and is_state_action(operation):
                # cancel/complete/submit_tool_outputs... depend on the object's state: a valid request
                # may be refused (400) for a finished object, so it is judged as a scenario step.
                request = copy.copy(request)
                request.mode = "scenario"
            reason = self.refuse(request, operation)
            if reason is not None:
                if phase is not None:
                    phase.not_sent.append(reason)
                return None
        request = with_fixed(request, operation, self.config)  # recorded as sent
        try:
            response = self.target.send(request, operation)
        except Interrupted as exc:  # Ctrl-C: still track what the request in flight created
            if isinstance(exc.response, Response):
                self.resources.record(Exchange(request, exc.response), operation)
            raise
        except StopRun as exc:
            self.stopped = exc
            if isinstance(exc, TargetUnreachable):
                self._fold_unanswered()
            raise _Stop() from None
        except TransportFailure as exc:
            if phase is not None:
                phase.transport_errors.append(str(exc))
                violation = transport_violation(request, f"{request.describe()}: {exc}")
                self._add(phase, violation)
                self._unanswered.append((phase, violation))
            return None
        self._unanswered.clear()
        exchange = Exchange(request, response)
        missing = operation is not None and self.routes.missing(exchange, operation, self.resources)
        if phase is not None:
            phase.missing = missing
        created = self.resources.record(exchange, operation)
        _record_state(self.state, exchange, operation, created)
        return exchange

    def _fold_unanswered(self) -> None:
        """The target went away: what it left unanswered since its last answer is that one cause (the
        stop names the first), not a transport finding each, in this phase or the ones before."""
        for phase, violation in self._unanswered:
            phase.violations = [v for v in phase.violations if v is not violation]
            result = phase.result
            if any(r is result for r in self.results.operations):  # settled already
                signature = list(violation.signature())
                result.violations = [r for r in result.violations if r.get("signature") != signature]
                result.settle()
            result.reason = result.reason or f"{STOPPED}{self.stopped}"
        self._unanswered.clear()

    def prepare(self, request: Request, operation: Operation) -> Request:
        """Bind the path to objects the run created, tag what it creates, clamp generations."""
        names = params_of(operation.path)
        broken = str(request.breaks or "").partition(": ")[2]  # "path id shape: thread_id" -> thread_id
        breaks_path = broken in names
        generated = request.mode in ("positive", "negative")
        owned = self.resources.owns(request.path, operation.path, borrowed=True)
        if names and generated and not owned:
            binding = self.resources.binding(operation.path)
            if binding and breaks_path:  # keep the id the request breaks, bind the others
                binding = {k: v for k, v in binding.items() if k != broken}
            if binding:
                params = {**{k: str(v) for k, v in request.path_params.items()}, **binding}
                if all(n in params for n in names):
                    request = copy.copy(request)
                    request.path_params = params
                    request.path = fill(operation.path, params)
        request = tag(request, self.spec, operation, self.run_id)
        if self.profile is not None and request.mode == "positive":
            request = without_fields(request, self.profile.unsupported_fields(operation.id))
        if self.config.real_account:
            request = clamp(request, self.spec, operation)
        return request

    def refuse(self, request: Request, operation: Operation) -> str | None:
        """Why a request must not be sent: read-only, or a change to an object the run did not create."""
        if request.method in SAFE_METHODS:
            return None
        if self.config.read_only:
            return "--read-only"
        left_out = skip_reason(operation, self.config)  # a scenario step may be a costly create
        if left_out is not None:
            return left_out
        if self.config.real_account and params_of(operation.path):
            if not self.resources.owns(request.path, operation.path, deleted=True, spare=misshapen(request)):
                return unowned_reason(operation.path, self.resources.creators, self.config)
        return None

    def judge(self, exchange: Exchange) -> list[Any]:
        found = run_checks(exchange, self.spec, config=self.check_config)
        return [v for v in found if not is_relaxed(self.profile, v)]

    # -- phases ----------------------------------------------------------------------------------

    def run(self, operation_id: str, phase_name: RunPhase) -> OperationResult:
        """Run one operation and phase, add its result to `results` and return it."""
        scenario = None
        if phase_name == "scenarios":
            operation_id, scenario = registered()[operation_id]
        selected = self.selected.get(operation_id)
        operation = self.spec.operation(operation_id)
        result = OperationResult.for_operation(operation, phase_name)
        phase = PhaseState(result)
        if selected is None:
            result.outcome, result.reason = "skipped", "not selected for this run"
        elif selected.skip:
            result.outcome, result.reason = "skipped", selected.skip
        elif self.stopped is not None:
            result.outcome, result.reason = "skipped", f"{STOPPED}{self.stopped}"
        else:
            started = time.perf_counter()
            try:
                if scenario is not None:
                    scenario(self, phase)
                else:
                    getattr(self, f"_phase_{phase_name}")(operation, phase)
            except _Stop:  # the phase the run stopped in says why (budget spent, target gone)
                if self.stopped is not None:
                    result.reason = result.reason or f"{STOPPED}{self.stopped}"
            except ConformanceError as exc:
                result.outcome, result.reason = "error", str(exc)
            except Exception as exc:  # a bug in a strategy or check: report it, keep the run going
                result.outcome, result.reason = "error", f"{type(exc).__name__}: {exc}"
            self._settle(operation, phase)
            accept(result, self.baseline)
            result.duration = time.perf_counter() - started  # junit.xml's time per test case
        result.reason = result.reason or None
        self.results.add(result)
        return result

    def _settle(self, operation: Operation, phase: PhaseState) -> None:
        result = phase.result
        result.requests = phase.sent
        if result.outcome == "error":
            return
        if phase.sent and phase.unrouted == phase.sent:
            result.outcome = "not-implemented"
            result.reason = (
                f"every request ({phase.sent}) was answered 404/405/501 and nothing showed the route exists"
            )
            return
        self._without_state(phase)
        for violation in phase.violations:
            if violation.check in self.skipped_checks:  # --skip-check, also for scenario oracles
                continue
            result.add_violation(
                violation,
                self.target.base_url if not self.config.is_emulator else None,
                Auth(self.config.auth_header, self.config.api_key_env),
            )
        if self.stopped is not None and not phase.sent and not result.violations:
            result.outcome, result.reason = "skipped", f"{STOPPED}{self.stopped}"
        elif not phase.sent and not result.violations and result.outcome == "passed":
            result.outcome = "skipped"
            result.reason = result.reason or (phase.not_sent[0] if phase.not_sent else "no request to send")

    def _without_state(self, phase: PhaseState) -> None:
        """Read-your-writes findings against a target that keeps no state say what the target is, not
        what it does wrong: they are left out, and the reason names the evidence (`runner.stateless`)."""
        if not any(v.check in STATE_BOUND for v in phase.violations):
            return
        reason = keeps_no_state(self, reversed(self.resources.created))
        if reason is None:
            return
        phase.violations = [v for v in phase.violations if v.check not in STATE_BOUND]
        phase.result.reason = phase.result.reason or reason
        if not phase.violations and phase.result.outcome == "passed":
            phase.result.outcome = "skipped"

    def _add(self, phase: PhaseState, violation: Violation) -> None:
        if is_relaxed(self.profile, violation):
            return
        signature = violation.signature()
        if signature in phase.signatures:
            return
        phase.signatures.add(signature)
        phase.violations.append(violation)

    def exercise(self, request: Request, operation: Operation, phase: PhaseState) -> Exchange | None:
        """Send, judge and record one request of a phase."""
        exchange = self.send(request, operation, phase)
        if exchange is None:
            return None
        phase.sent += 1
        phase.result.examples += 1
        unrouted = phase.missing
        if unrouted:
            phase.unrouted += 1
        violations = [] if unrouted else self.judge(exchange)
        phase.last = violations
        for violation in violations:
            self._add(phase, violation)
        judged = judged_families(exchange, operation) if not unrouted else set()
        for family in sorted(judged | {v.family for v in violations}):
            phase.result.note_family(family)
        for listener in self.listeners:
            listener(exchange, operation, violations)
        return exchange

    def _phase_examples(self, operation: Operation, phase: PhaseState) -> None:
        strategies = _strategies()
        examples = getattr(strategies, "examples", None)
        if examples is None:
            phase.result.outcome, phase.result.reason = "skipped", "no examples source"
            return
        requests = list(examples(operation, spec=self.spec))
        if not requests:
            phase.result.outcome, phase.result.reason = (
                "skipped",
                "the spec has no example for this operation",
            )
            return
        for request in requests[: max(self.config.max_examples, 1)]:
            self.bind_objects(operation, "examples")
            self.exercise(request, operation, phase)

    def _phase_positive(self, operation: Operation, phase: PhaseState) -> None:
        self._property(operation, phase, "positive")
        self._nulls(operation, phase)

    def _nulls(self, operation: Operation, phase: PhaseState) -> None:
        """Valid requests with the body's nullable properties set to explicit null, every run (random
        generation rarely sends a null; positive.null_accepted judges the answer): one with all it can
        null, one with those inside objects (whose parents the first may have nulled)."""
        before = phase.sent
        for mode in ("nulls", "nested-nulls"):
            strategy = self.requests(operation, mode, snapshot=bool(params_of(operation.path)))
            if strategy is None or strategy.is_empty:
                continue
            try:
                self.given(strategy, lambda request: self._one(request, operation, phase), max_examples=1)
            except (FlakyStrategyDefinition, FlakyFailure, Unsatisfiable):
                pass  # no valid request with nulls to draw: nothing to judge
        if phase.sent > before and phase.result.outcome == "skipped":
            phase.result.outcome, phase.result.reason = "passed", None

    def _phase_negative(self, operation: Operation, phase: PhaseState) -> None:
        self._property(operation, phase, "negative")
        if operation.id in self.routes.answered:  # a route that exists: is it behind the credentials?
            before = phase.sent
            for request in auth.probes(operation, self.config, self.resources.binding(operation.path)):
                self.exercise(request, operation, phase)
            if phase.sent > before and phase.result.outcome == "skipped":  # no schema mutation, but probes
                phase.result.outcome, phase.result.reason = "passed", None

    def _property(self, operation: Operation, phase: PhaseState, mode: str) -> None:
        # Draws of an operation with path ids read the state; the phase changes it (set-ups, deletes), and
        # Hypothesis calls generation that depends on changing state flaky. So the phase draws from a
        # snapshot; `prepare` still binds each request to a live object.
        strategy = self.requests(operation, mode, snapshot=bool(params_of(operation.path)))
        if strategy is None:
            phase.result.outcome, phase.result.reason = "skipped", f"no {mode} request can be generated"
            return
        try:
            self.given(strategy, lambda request: self._one(request, operation, phase))
        except (FlakyStrategyDefinition, FlakyFailure):
            # generation that depended on the state the phase changed: what was sent still counts
            if not phase.sent:
                raise
        except Unsatisfiable:
            if not phase.sent:
                phase.result.outcome = "skipped"
                phase.result.reason = f"the spec leaves no {mode} request to generate for this operation"

    def _one(self, request: Request, operation: Operation, phase: PhaseState) -> None:
        if params_of(operation.path):
            self.bind_objects(operation, request.mode)
        self.exercise(request, operation, phase)

    def bind_objects(self, operation: Operation, mode: str) -> None:
        """Make the objects the path names; a positive delete, or an action that ends its object (a
        cancelled upload takes no parts), gets a new one: ending the newest would starve the tests after it."""
        ends = ends_object(operation) or (operation.method == "DELETE" and mode == "positive")
        if ends and mode in ("examples", "positive"):
            self.fresh(operation.path)
        else:
            self.ensure(operation.path)

    def fresh(self, template: str) -> dict[str, str] | None:
        """Like `ensure`, but the last object of the path is a new one when the run can create it."""
        names = params_of(template)
        segments = template.split("/")
        item = "/".join(segments[: segments.index("{" + names[-1] + "}") + 1])
        creator = self.resources.creators.get(item)
        if creator is not None and self._may_create(creator) and self.failed_creates.get(item, 0) < 2:
            parent = self.ensure(item.rsplit("/", 1)[0])
            if parent is not None and self._create(creator, parent) is not None:
                return self.resources.binding(template)
        return self.ensure(template)

    def given(
        self,
        strategy: st.SearchStrategy,
        body: Callable[[Any], None],
        max_examples: int | None = None,
        key: str | None = None,
        reuse: bool = True,
    ) -> None:
        """Run `body` over examples of `strategy` with the run's Hypothesis settings.

        `key` names the test in the example database (one per operation and mode), so a failure
        found once is replayed first by the next run that uses the same database. `reuse=False`
        skips that replay: Hypothesis deletes a replayed example that no longer fails, and in a
        fuzz round after the first, a known failure no longer fails the test.
        """
        replay = [Phase.reuse] if reuse else []

        @settings(
            max_examples=max_examples or self.config.max_examples,
            derandomize=self.config.seed is None and self.database is None,
            database=self.database,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, *replay, Phase.generate] + ([Phase.shrink] if self.shrink else []),
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            print_blob=False,
        )
        @given(strategy)
        def test(value: Any) -> None:
            body(value)

        if key is not None:
            test._hypothesis_internal_database_key = key.encode()  # type: ignore[attr-defined]
        if self.config.seed is not None and self.database is None:  # a seed would switch the database off
            test = seed(self.config.seed)(test)
        try:
            test()
        except _Stop:
            raise
        except BaseException as exc:  # noqa: BLE001 - Hypothesis re-raises what the body raised
            if isinstance(exc, KeyboardInterrupt):
                raise
            if self.stopped is not None:
                raise _Stop() from None
            raise

    def requests(self, operation: Operation, mode: str, snapshot: bool = False) -> st.SearchStrategy | None:
        """The strategies' requests for an operation: built once per run (they read the state at draw time),
        or over a copy of the state as it is now (`snapshot`)."""
        key = (operation.id, mode)
        if snapshot or key not in self._strategy_cache:
            make = getattr(_strategies(), "requests", None)
            state = copy.deepcopy(self.state) if snapshot else self.state
            try:
                built = make(operation, mode=mode, state=state, spec=self.spec) if make is not None else None
            except (ValueError, NotImplementedError, LookupError):
                built = None
            if snapshot:
                return built
            self._strategy_cache[key] = built
        return self._strategy_cache[key]

    # -- objects to act on -----------------------------------------------------------------------

    def ensure(self, template: str) -> dict[str, str] | None:
        """Path parameters for `template` bound to live objects, creating (or finding) them if needed."""
        names = params_of(template)
        if not names:
            return {}
        binding = self.resources.binding(template)
        if binding is not None and all(n in binding for n in names):
            return binding
        segments = template.split("/")
        item = "/".join(segments[: segments.index("{" + names[-1] + "}") + 1])
        if item != template and self.resources.binding(item) is not None:
            return self.resources.binding(item)
        collection = item.rsplit("/", 1)[0]
        parent = self.ensure(collection)
        if parent is None:
            return None
        creator = self.resources.creators.get(item)
        if creator is not None and self._may_create(creator) and self.failed_creates.get(item, 0) < 2:
            if self._create(creator, parent) is not None:
                return self.resources.binding(template) or self.resources.binding(item)
            self.failed_creates[item] = self.failed_creates.get(item, 0) + 1
        lister = self.resources.listers.get(item)
        if lister is not None:
            self._borrow(lister, item, parent)
        return self.resources.binding(template) or self.resources.binding(item)

    def _may_create(self, creator: Operation) -> bool:
        if self.config.read_only or self.stopped is not None:
            return False
        selected = self.selected.get(creator.id)
        return (selected is None or not selected.skip) and skip_reason(creator, self.config) is None

    def _create(self, creator: Operation, parent: dict[str, str], tries: int = 10) -> Created | None:
        """Create one object with the first generated valid request the target accepts."""
        self._ensure_referenced(creator)
        before = len(self.resources.created)
        candidates: list[Request] = []
        strategies = _strategies()
        examples = getattr(strategies, "examples", None)
        if examples is not None:
            try:
                candidates = list(examples(creator, spec=self.spec))
            except Exception:  # noqa: BLE001 - examples are a best effort here
                candidates = []
        for request in candidates[:3]:
            if self._try_create(request, creator, parent, before):
                return self.resources.created[-1]
        strategy = self.requests(creator, "positive")
        if strategy is None:
            return None

        def attempt(request: Request) -> None:
            if len(self.resources.created) == before:
                self._try_create(request, creator, parent, before)

        try:
            self.given(strategy, attempt, max_examples=tries)
        except _Stop:
            raise
        except Exception:  # noqa: BLE001 - a failed set-up is reported by the test that needed it
            return None
        return self.resources.created[-1] if len(self.resources.created) > before else None

    def _ensure_referenced(self, creator: Operation) -> None:
        """Create the objects a create request must name in its body (createRun's `assistant_id`) when the
        run has none yet, so the generated request names one of the run's own objects."""
        schema = self.spec.resolve(creator.request_bodies.get("application/json"))
        required = schema.get("required") if isinstance(schema, dict) else None
        for name in required or []:
            kind = kind_for(name, creator.path)
            if kind is None or self.state is None or self.state.ids(kind.kind):
                continue
            for template in self.resources.creators:
                names = params_of(template)
                if len(names) == 1 and kind_for(names[0], template) == kind and template != creator.path:
                    self.ensure(template)
                    break

    def _try_create(self, request: Request, creator: Operation, parent: dict[str, str], before: int) -> bool:
        request = copy.copy(request)
        request.path_params = {**request.path_params, **parent}
        request.path = fill(creator.path, {**request.path_params})
        request.mode = "scenario" if request.mode == "positive" else request.mode
        exchange = self.send(request, creator)
        if exchange is not None:
            for listener in self.listeners:
                listener(exchange, creator, [])
        return len(self.resources.created) > before

    def _borrow(self, lister: Operation, item: str, parent: dict[str, str]) -> None:
        """No way to create one: read the first object of the list (it is never changed on a real target)."""
        request = Request(
            "GET", fill(lister.path, parent), lister.id, lister.path, dict(parent), mode="scenario"
        )
        exchange = self.send(request, lister)
        if exchange is None or exchange.response.status != 200 or not exchange.response.is_json:
            return
        body = exchange.response.json()
        data = body.get("data") if isinstance(body, dict) else None
        first = data[0] if isinstance(data, list) and data else None
        if not isinstance(first, dict) or not isinstance(first.get("id"), str):
            return
        params = {**parent, params_of(item)[-1]: first["id"]}
        self.resources.add(
            Created(first["id"], lister.id, item, params, first.get("object"), None, borrowed=True)
        )

    # -- stateful ---------------------------------------------------------------------------------

    def families(self) -> list[str]:
        """Creator operation ids with an item path to exercise: the stateful phase's items."""
        return self.resources.stateful_creators()

    def _phase_stateful(self, creator: Operation, phase: PhaseState) -> None:
        """create -> retrieve -> list -> modify -> retrieve -> delete -> retrieve (gone), judged by the
        read-your-writes oracles (`conformance.checks.crud`) the model-based scenarios use too."""
        item = next(t for t, c in self.resources.creators.items() if c.id == creator.id)
        by_key = {(op.method, op.path): op for op in self.spec.operations}
        collection = item.rsplit("/", 1)[0]
        parent = self.ensure(collection)
        if parent is None:
            phase.result.outcome, phase.result.reason = "skipped", "no parent object to create it under"
            return
        before = len(self.resources.created)
        created = self._create(creator, parent)
        phase.sent += len(self.resources.created) - before
        if created is None:
            if phase.sent == 0 and creator.id not in self.routes.answered and self.routes.tried(creator):
                phase.result.outcome = "not-implemented"
                phase.result.reason = f"{creator.id} answered only 404/405/501"
                return
            phase.result.outcome = "skipped"
            phase.result.reason = "the target accepted none of the generated create requests"
            return
        if not created.stored:
            created.gone = True
            phase.result.outcome = "skipped"
            phase.result.reason = "the create request did not ask to store the object (store is not true)"
            return
        params = dict(created.params)
        retrieve = by_key.get(("GET", item))
        lister = by_key.get(("GET", collection))
        modify = by_key.get(("POST", item))
        delete = by_key.get(("DELETE", item))

        def step(op: Operation, body: Any = None) -> Exchange | None:
            request = Request(op.method, fill(op.path, params), op.id, op.path, dict(params), mode="scenario")
            if body is not None:
                request.body, request.media_type = body, "application/json"
            return self.exercise(request, op, phase)

        def judge(found: list[Violation]) -> None:
            if not phase.missing:  # a route the target does not have: not implemented, not a lost object
                for violation in found:
                    self._add(phase, violation)

        if retrieve is not None and (got := step(retrieve)) is not None:
            judge(crud.read_back(got, created.id, what=retrieve.id))
        if lister is not None and lister.method == "GET":
            step(lister)
        if modify is not None and modify.request_bodies and "application/json" in modify.request_bodies:
            if "metadata" in body_properties(self.spec, modify, "application/json"):
                want = {"metadata": {"step": "modify"}}
                changed = step(modify, {"metadata": {TAG_KEY: self.run_id, **want["metadata"]}})
                if changed is not None and 200 <= changed.response.status < 300 and retrieve is not None:
                    if (got := step(retrieve)) is not None:
                        judge(crud.read_back(got, created.id, want, what=retrieve.id, ignore=(TAG_KEY,)))
        if delete is not None and (gone := step(delete)) is not None:
            if 200 <= gone.response.status < 300:
                created.gone = True
                if retrieve is not None and (after := step(retrieve)) is not None:
                    judge(crud.gone(after, what=retrieve.id))


STATE_ACTIONS = (
    "cancel",
    "complete",
    "submit_tool_outputs",
    "pause",
    "resume",
    "archive",
    "accept",
    "hangup",
    "refer",
    "reject",
)


def judged_families(exchange: Exchange, operation: Operation) -> set[str]:
    """The contract families whose checks had something to judge in this exchange (the reports show
    the others as n/a): schema and http always; errors on an error answer or an invalid request;
    streaming on an event stream; pagination on a list page; lifecycle on a 2xx JSON object."""
    response = exchange.response
    if response.status < 100:
        return set()
    families = {"schema", "http"}
    if response.status >= 400 or exchange.request.mode == "negative":
        families.add("errors")
    if 200 <= response.status < 300:
        if response.events is not None or response.media_type == "text/event-stream":
            families.add("streaming")
        elif response.is_json:
            if operation.paginated:
                families.add("pagination")
            if isinstance(response.json(), dict):
                families.add("lifecycle")
    return families


def without_fields(request: Request, names: tuple[str, ...]) -> Request:
    """The request without the body fields and query parameters a profile says the server does not
    support, so a positive request asks only for what the server promises."""
    if not names:
        return request
    body = request.body if isinstance(request.body, dict) else None
    drop_body = [n for n in names if body is not None and n in body]
    drop_query = [n for n in names if n in request.query]
    if not drop_body and not drop_query:
        return request
    request = copy.copy(request)
    if drop_body:
        request.body = {k: v for k, v in body.items() if k not in drop_body}  # type: ignore[union-attr]
    if drop_query:
        request.query = {k: v for k, v in request.query.items() if k not in drop_query}
    return request


def misshapen(request: Request) -> str:
    """The path parameter a negative request gives a value of the wrong id shape (`not-an-id` for an
    `asst_` id), or "": such a value cannot name any object, so sending it changes nothing."""
    breaks = request.breaks or ""
    if request.mode != "negative" or not breaks.startswith(PATH_ID_SHAPE):
        return ""
    name = breaks.removeprefix(PATH_ID_SHAPE)
    kind = kind_for(name, request.path_template or "")
    value = request.path_params.get(name)
    return name if kind is not None and value is not None and not kind.matches(str(value)) else ""


def is_state_action(operation: Operation) -> bool:
    """A POST to a verb below an object (`/runs/{run_id}/cancel`): whether it succeeds depends on state."""
    segments = operation.path.rstrip("/").split("/")
    return operation.method == "POST" and segments[-1] in STATE_ACTIONS and segments[-2].startswith("{")


def _strategies() -> Any:
    try:
        from conformance import strategies
    except ImportError:  # pragma: no cover
        return None
    return strategies


def _new_state() -> Any:
    state_class = getattr(_strategies(), "State", None)
    try:
        return state_class() if state_class is not None else None
    except TypeError:
        return None


def _record_state(
    state: Any, exchange: Exchange, operation: Operation | None, created: Created | None
) -> None:
    """Keep the strategies' `State` in step: ids the run created, ids it deleted."""
    if state is None or operation is None:
        return
    if created is not None:
        own = params_of(created.template)[-1]
        parents = {k: v for k, v in created.params.items() if k != own}
        try:
            state.add(own, created.id, parents=parents)
        except (ValueError, TypeError):
            pass
    elif operation.method == "DELETE" and 200 <= exchange.response.status < 300:
        names = params_of(operation.path)
        value = exchange.request.path_params.get(names[-1]) if names else None
        if value is not None:
            state.remove(str(value))
