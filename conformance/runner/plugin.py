"""The pytest plugin (entry point `pytest11`): options, one item per operation and phase, reports.

    pytest --pyargs conformance.suite --oc-target http://127.0.0.1:8080/v1 -k assistants -n 2

The plugin is inert in other test suites: it only loads the spec and opens a target when the items
of `conformance.suite` are collected. Under pytest-xdist each worker runs its own `Session`; the
workers send their results to the controller, which merges them and writes the reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any

import pytest

from conformance.errors import (
    EXIT_BUDGET,
    EXIT_OK,
    EXIT_SUITE_ERROR,
    EXIT_UNREACHABLE,
    EXIT_VIOLATIONS,
    BudgetSpent,
    ConformanceError,
    TargetUnreachable,
)
from conformance.kinds import Phase
from conformance.results import RunResults
from conformance.runner import stops
from conformance.runner.config import PYTEST_PREFIX, RunConfig, add_options, resolve
from conformance.runner.scenarios import registered
from conformance.runner.verdict import conclude, run_baseline, run_profile
from conformance.spec import Operation, Spec

DEST = "conformance_"  # prefix of the plugin's option destinations on pytest's namespace
SHOW = DEST + "show_progress__"
RUN_ID = DEST + "run_id__"
PHASE_TESTS: dict[str, Phase] = {
    "test_examples": "examples",
    "test_positive": "positive",
    "test_negative": "negative",
    "test_stateful": "stateful",
    "test_scenarios": "scenarios",
}
SUITE_FILE = "conformance/suite/test_conformance.py"  # in the node id of every suite item
WORKER_KEY = "conformance_results"
# The results of the last run in this process, for `openai-conformance run` (which runs pytest in-process).
LAST: dict[str, Any] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("openai-conformance", "OpenAI conformance suite (conformance.suite)")

    def add(flag: str, *, dest: str, **kwargs: Any) -> None:
        group.addoption(flag, dest=DEST + dest, **kwargs)

    add_options(add, prefix=PYTEST_PREFIX)
    group.addoption(
        PYTEST_PREFIX + "show-progress",
        dest=SHOW,
        action="store_true",
        default=False,
        help="a rich progress display per phase (set by `openai-conformance run` on a terminal)",
    )
    group.addoption(
        PYTEST_PREFIX + "run-id",
        dest=RUN_ID,
        default=None,
        help="run id (set by `openai-conformance run`)",
    )


class Plugin:
    """Per pytest session: the configuration, and the `Session` once a suite item needs it."""

    def __init__(self, config: pytest.Config) -> None:
        self.pytest_config = config
        self._config: RunConfig | None = None
        self.session: Any = None
        self.worker_results: list[dict[str, Any]] = []
        self.used = False
        self.stop_code: int | None = None
        self.listeners: list[Any] = []
        self.progress: Any = None
        self.broken: dict[str, str] = {}  # node id -> why a suite item errored outside its phase

    @property
    def config(self) -> RunConfig:
        if self._config is None:
            given = {
                name[len(DEST) :]: value
                for name, value in vars(self.pytest_config.option).items()
                if name.startswith(DEST) and name not in (RUN_ID, SHOW)
            }
            try:
                self._config = resolve(given)
                run_profile(self._config)  # a bad profile or baseline: one line before anything runs
                run_baseline(self._config)
            except ConformanceError as exc:
                raise pytest.UsageError(str(exc)) from None
            workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
            if workers and self._config.rate_limit:
                self._config.rate_limit /= int(workers)  # the limit is for the whole run
        return self._config

    def spec(self) -> Any:
        try:
            return self.config.load_spec()
        except ConformanceError as exc:
            raise pytest.UsageError(str(exc)) from None

    def open(self) -> Any:
        """The run's Session, opened on first use (and the target probed)."""
        if self.session is None:
            from conformance.runner.session import Session

            self.used = True
            run_id = self.pytest_config.getoption(RUN_ID)
            try:
                session = Session(self.config, self.spec(), run_id=run_id)
            except ConformanceError as exc:
                pytest.exit(f"openai-conformance: {exc}", returncode=exc.exit_code)
            self.session = session
            try:
                session.target.probe()
            except ConformanceError as exc:
                session.stopped = exc
                self.stop_code = exc.exit_code
                self.close()
                pytest.exit(f"openai-conformance: {exc}", returncode=exc.exit_code)
        return self.session

    def close(self) -> RunResults | None:
        session, self.session = self.session, None
        if session is None:
            return None
        with stops.deferred():  # a second Ctrl-C must not cut the clean-up short
            session.close()
        results = session.results
        if isinstance(session.stopped, BudgetSpent):
            self.stop_code = EXIT_BUDGET
        elif isinstance(session.stopped, TargetUnreachable):
            self.stop_code = EXIT_UNREACHABLE
        return results


def plugin_of(config: pytest.Config) -> Plugin:
    return config.pluginmanager.get_plugin("conformance-runner")  # type: ignore[return-value]


_current_plugin: Plugin | None = None


@pytest.hookimpl(wrapper=True)
def pytest_report_header(config: pytest.Config) -> Any:
    """`openai-conformance run` reads no ini file (`-c /dev/null`): no `configfile: ../../dev/null` line."""
    lines = yield
    if config.inipath is not None and str(config.inipath) == os.devnull:
        strip = lambda part: [x for x in part if not str(x).startswith("configfile:")]  # noqa: E731
        lines = [strip(part) if isinstance(part, list) else part for part in lines]
    return lines


def pytest_configure(config: pytest.Config) -> None:
    global _current_plugin
    _current_plugin = Plugin(config)
    config.pluginmanager.register(_current_plugin, "conformance-runner")
    from conformance.runner import progress

    plugin = _current_plugin

    def notice(message: str) -> None:  # past pytest's capture, above the progress display
        if plugin.progress is not None:
            plugin.progress.display.console.print(message)
            return
        capture = config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            print(f"openai-conformance: {message}", file=sys.stderr, flush=True)

    progress.push_writer(notice)


def pytest_unconfigure(config: pytest.Config) -> None:
    from conformance.runner import progress

    progress.pop_writer()


def _is_suite(function: Any) -> bool:
    return getattr(function, "__module__", "").startswith("conformance.suite")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not _is_suite(metafunc.function) or metafunc.function.__name__ not in PHASE_TESTS:
        return
    plugin = plugin_of(metafunc.config)
    phase = PHASE_TESTS[metafunc.function.__name__]
    config = plugin.config
    if phase not in config.phases:
        metafunc.parametrize("operation_id", [], ids=[])
        return
    spec = plugin.spec()
    from conformance.runner.selection import select

    try:
        selection = select(spec.operations, config)
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    if phase == "stateful":
        from conformance.runner.resources import Resources

        chosen = {s.operation.id for s in selection}
        ids = sorted(set(Resources(spec).stateful_creators()) & chosen)
    elif phase == "scenarios":
        chosen = {s.operation.id for s in selection}
        ids = [name for name, (op_id, _) in registered().items() if op_id in chosen]
    else:
        ids = [s.operation.id for s in selection]
    metafunc.parametrize("operation_id", ids, ids=ids)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`-k` also matches an operation's tags and path: `-k assistants`, `-k "Vector stores"`."""
    suite = [item for item in items if _is_suite(getattr(item, "function", None))]
    if not suite:
        return
    spec = plugin_of(config).spec()
    empty = []  # a phase this run leaves out, or with nothing to run: no item at all
    for item in suite:
        callspec = getattr(item, "callspec", None)
        op_id = callspec.params.get("operation_id") if callspec else None
        if not isinstance(op_id, str):
            empty.append(item)
            continue
        op = spec.by_id.get(op_id)
        if op is None:
            continue
        item.extra_keyword_matches.update({*op.tags, op.path, op.method})
        for tag in op.tags:
            item.extra_keyword_matches.add(tag.replace(" ", "_"))
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]


@pytest.fixture(scope="session")
def conformance(request: pytest.FixtureRequest) -> Any:
    """The run's Session: the target, the created objects, the results."""
    return plugin_of(request.config).open()


@pytest.fixture
def conformance_phase(request: pytest.FixtureRequest, conformance: Any) -> Any:
    """Runs one operation and phase and turns its outcome into pass, fail or skip."""

    def run(operation_id: str, phase: str) -> Any:
        listener = _allure_listener(request.config)
        if listener is not None:
            conformance.listeners.append(listener)
            _allure_labels(operation_id, phase, conformance)
        try:
            result = conformance.run(operation_id, phase)
        finally:
            if listener is not None:
                conformance.listeners.remove(listener)
        if conformance.stopped is not None:
            request.session.shouldstop = str(conformance.stopped)
        if result.outcome == "failed":
            pytest.fail(_describe(result), pytrace=False)
        if result.outcome == "error":
            pytest.fail(f"error: {result.reason}", pytrace=False)
        if result.outcome == "not-implemented":
            pytest.skip(f"not implemented: {result.reason}")
        if result.outcome == "skipped":
            pytest.skip(result.reason or "skipped")
        return result

    return run


def _describe(result: Any) -> str:
    lines = [f"{len(result.violations)} violation(s) in {result.operation_id} ({result.phase}):"]
    for v in result.violations[:10]:
        status = f" [{v.get('status')}]" if v.get("status") else ""
        lines.append(f"  {v.get('check')}{status} at {v.get('path', '$')}: {v.get('message')}")
        request = v.get("request") or {}
        if request:
            lines.append(f"    request: {request.get('method')} {request.get('path')}")
    if len(result.violations) > 10:
        lines.append(f"  ... and {len(result.violations) - 10} more")
    return "\n".join(lines)


# -- allure ----------------------------------------------------------------------------------------


def _allure_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


def _allure_labels(operation_id: str, phase: str, session: Any) -> None:
    import allure

    op = session.spec.by_id.get(operation_id)
    allure.dynamic.label("operation", operation_id)
    allure.dynamic.story(phase)
    if op is not None:
        for tag in op.tags:
            allure.dynamic.tag(tag)
            allure.dynamic.feature(tag)


def _allure_listener(config: pytest.Config) -> Any:
    if not _allure_active(config):
        return None
    import allure

    def record(exchange: Any, operation: Any, violations: list[Any]) -> None:
        request, response = exchange.request, exchange.response
        title = f"{request.method} {request.path} -> {response.status}"
        with allure.step(title):
            allure.attach(
                json.dumps(request.to_dict(), indent=2, default=str),
                name="request",
                attachment_type=allure.attachment_type.JSON,
            )
            allure.attach(
                response.text(limit=20000),
                name=f"response {response.status}",
                attachment_type=allure.attachment_type.JSON
                if response.is_json
                else allure.attachment_type.TEXT,
            )
            for violation in violations:
                allure.dynamic.label("check", violation.check)
                allure.attach(
                    json.dumps(violation.to_dict(), indent=2, default=str),
                    name=f"violation {violation.check}",
                    attachment_type=allure.attachment_type.JSON,
                )

    return record


# -- the end of the run ----------------------------------------------------------------------------


def pytest_collection_finish(session: pytest.Session) -> None:
    plugin = plugin_of(session.config)
    if plugin is None or hasattr(session.config, "workerinput") or not session.config.getoption(SHOW):
        return
    nodeids = [item.nodeid for item in session.items if _is_suite(getattr(item, "function", None))]
    if nodeids:
        from conformance.runner.progress import PhaseProgress

        plugin.progress = PhaseProgress()
        plugin.progress.start(nodeids)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    plugin = _current_plugin
    if plugin is None:
        return
    if report.when == "setup" and report.failed and SUITE_FILE in report.nodeid:
        plugin.broken[report.nodeid] = _first_line(report)
    if plugin.progress is not None and (
        report.when == "call" or (report.when == "setup" and not report.passed)
    ):
        plugin.progress.done(report.nodeid, report.outcome)


def _first_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) or str(report.longrepr).strip().splitlines()[-1:]
    return str(message if isinstance(message, str) else " ".join(message)).splitlines()[0]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if data:
        plugin_of(node.config).worker_results.append(json.loads(data))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    plugin = plugin_of(config)
    if plugin is None:
        return
    if plugin.progress is not None:
        plugin.progress.stop()
        plugin.progress = None
    results = plugin.close()
    worker = hasattr(config, "workerinput")
    if worker:
        if results is not None:
            config.workeroutput[WORKER_KEY] = json.dumps(results.to_dict())  # type: ignore[attr-defined]
            config.workeroutput["conformance_stop"] = plugin.stop_code  # type: ignore[attr-defined]
        return
    if results is None and plugin.worker_results:
        results = merge_workers(plugin.worker_results)
    if results is None:
        return
    _add_broken(results, plugin)
    _add_unrun(results, session, plugin)
    results.finish(plugin.stop_code)
    code = _suite_errors(results, _budget_verdict(results, _conclude(results, plugin), plugin.config))
    LAST.clear()
    LAST.update(results=results, exit_code=code)
    folder = write(results, plugin.config)
    if folder is not None:
        LAST["folder"] = folder


def _budget_verdict(results: RunResults, code: int, config: RunConfig) -> int:
    """A spent --request-budget on a run that found nothing new is a warning (exit 0, the reports say
    BUDGET SPENT), unless --budget-exhausted-fails; with new violations it stays exit 4."""
    if code != EXIT_BUDGET:
        return code
    results.budget_spent = True
    if not results.new_violations() and not config.budget_exhausted_fails:
        results.exit_code = 0
        return 0
    return code


def _suite_errors(results: RunResults, code: int) -> int:
    """An operation-phase the suite could not judge (outcome "error": a bug in a strategy or a check, a
    broken set-up) makes the verdict incomplete: exit 5 where the run would pass or fail on the rest."""
    if code in (EXIT_OK, EXIT_VIOLATIONS) and any(r.outcome == "error" for r in results.operations):
        results.exit_code = code = EXIT_SUITE_ERROR
    return code


def _conclude(results: RunResults, plugin: Plugin) -> int:
    """Apply --baseline and --profile to the finished results (on the controller, after the merge)."""
    from conformance.runner.selection import select

    config = plugin.config
    if config.baseline is None and config.profile is None:
        return int(results.exit_code or 0)
    ids = [s.operation.id for s in select(plugin.spec().operations, config)]
    try:
        return conclude(results, config, ids)
    except ConformanceError as exc:  # the baseline file changed or vanished during the run
        raise pytest.UsageError(str(exc)) from None


def _item_target(spec: Spec, function_name: str, param: Any) -> tuple[Phase, Operation] | None:
    """The (phase, operation) a suite item judges, from its test function and its `operation_id`
    parameter (a scenario's name for the scenarios test); None for other items."""
    phase = PHASE_TESTS.get(function_name)
    if phase == "scenarios":
        param = registered().get(param, (None, None))[0]
    op = spec.by_id.get(param) if isinstance(param, str) else None
    return None if phase is None or op is None else (phase, op)


def _add_broken(results: RunResults, plugin: Plugin) -> None:
    """Suite items whose set-up failed (a bug in the suite, say): outcome "error" with the reason, so the
    run cannot pass on operations it never judged."""
    from conformance.results import OperationResult

    spec = plugin.spec()
    done = {(r.operation_id, r.phase) for r in results.operations}
    for nodeid, reason in plugin.broken.items():
        function, _, param = nodeid.rpartition("::")[2].partition("[")
        target = _item_target(spec, function, param.rstrip("]"))
        if target is None or (target[1].id, target[0]) in done:
            continue
        phase, op = target
        results.add(
            OperationResult.for_operation(op, phase, outcome="error", reason=f"set-up failed: {reason}")
        )
        done.add((op.id, phase))


def _add_unrun(results: RunResults, session: pytest.Session, plugin: Plugin) -> None:
    """Items that never ran (budget spent, Ctrl-C, -x): listed as skipped, so the reports name every operation."""
    from conformance.results import OperationResult

    done = {(r.operation_id, r.phase) for r in results.operations}
    spec = plugin.spec()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        function = getattr(item, "function", None)
        if callspec is None or function is None or not _is_suite(function):
            continue
        target = _item_target(spec, function.__name__, callspec.params.get("operation_id"))
        if target is None or (target[1].id, target[0]) in done:
            continue
        phase, op = target
        reason = (
            f"not run: {session.shouldstop}" if session.shouldstop else "not run (the run was interrupted)"
        )
        results.add(OperationResult.for_operation(op, phase, outcome="skipped", reason=reason))
        done.add((op.id, phase))


def merge_workers(parts: list[dict[str, Any]]) -> RunResults:
    """One run from the workers' results (same run id, operations concatenated, counts summed)."""
    first = RunResults.from_dict(parts[0])
    for part in parts[1:]:
        other = RunResults.from_dict(part)
        first.operations.extend(other.operations)
        first.requests_sent += other.requests_sent
        if other.exit_code not in (None, 0, 1):
            first.exit_code = other.exit_code
    first.operations.sort(key=lambda r: (r.path, r.method, r.phase))
    return first


def write(results: RunResults, config: RunConfig) -> Any:
    try:
        from conformance.reports.write import write_reports
    except ImportError:  # pragma: no cover - the reports ship with the package
        return None
    return write_reports(results, config.report_dir, secret_env=[config.api_key_env])
