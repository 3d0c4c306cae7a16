"""`openai-conformance run`: the conformance suite against a target, through pytest, with reports."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from conformance.commands import add_show_option, output_format
from conformance.errors import (
    EXIT_BUDGET,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    ConformanceError,
    Terminated,
)
from conformance.reports.groups import plural
from conformance.reports.terminal import DEFAULT_SHOW, print_groups
from conformance.runner.config import RunConfig, add_options, resolve

EXIT_CODES = """exit codes:
  0  the target conforms: no violations
  1  violations found (listed above and in the reports); with --baseline, only new ones count
  2  usage or configuration error (bad option, spec, profile or baseline; missing or rejected API key)
  3  target unreachable
  4  request budget spent before the end with violations found, or with --budget-exhausted-fails
     (a spent budget on a run that found nothing new is a warning, exit 0)

options may also come from OPENAI_CONFORMANCE_<OPTION> environment variables
(OPENAI_CONFORMANCE_MAX_EXAMPLES=20) or a [tool.openai-conformance] table in pyproject.toml.
"""

EXAMPLES = """examples:
  openai-conformance run                                   # the bundled emulator, every operation
  openai-conformance run --target http://127.0.0.1:8080/v1 --include Assistants
  openai-conformance run --target https://api.openai.com/v1 --read-only --request-budget 200
  openai-conformance run --shard 2/4 --workers auto -- -x  # arguments after -- go to pytest
  openai-conformance run --target http://127.0.0.1:8000/v1 --profile chat   # score a chat-only server
  openai-conformance baseline update && openai-conformance run --baseline conformance-baseline.yaml
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="run the conformance suite against a target (the bundled emulator by default)",
        description="Run the conformance suite (examples, positive, negative, stateful and scenario phases) "
        "against a target through pytest, and write results.json, junit.xml, summary.md and report.html.",
        epilog=EXIT_CODES + "\n" + EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(parser.add_argument)
    add_show_option(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the run's results document (the same as results.json) on stdout, and nothing else "
        "there: pytest's output and the summary go to stderr",
    )
    parser.add_argument(
        "pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="passed on to pytest (-x, --lf, -k)"
    )
    parser.set_defaults(handler=handle)


def prepare(args: argparse.Namespace) -> RunConfig:
    """Check everything a run needs before pytest starts, so a bad option is one line and exit code 2."""
    from conformance.runner.selection import select
    from conformance.runner.verdict import run_baseline, run_profile

    given = {
        k: v
        for k, v in vars(args).items()
        if k not in ("handler", "pytest_args", "command", "show", "json", "output_format")
    }
    config = resolve(given)
    run_profile(config)
    run_baseline(config)
    spec = config.load_spec()
    select(spec.operations, config)
    if config.workers != "1":
        try:
            import xdist  # noqa: F401
        except ImportError:
            raise ConformanceError("--workers needs pytest-xdist (pip install pytest-xdist)") from None
    if not config.is_emulator:
        from conformance.runner.target import Target

        with Target(config, spec) as target:
            target.probe()
    return config


def pytest_args(config: RunConfig, run_id: str, extra: list[str]) -> list[str]:
    """The pytest command line of a run: the shipped suite, no user ini file, the run's options."""
    from conformance.runner.progress import wanted

    args = ["--pyargs", "conformance.suite", "-c", os.devnull, "--rootdir", os.getcwd()]
    args += [
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "--oc-run-id",
        run_id,
        *config.to_args(),
    ]
    # pytest's cache (for --lf/--ff) lives with the reports, so every run records what failed
    args += ["-o", f"cache_dir={Path(config.report_dir).resolve() / '.pytest_cache'}"]
    if config.workers != "1":
        args += ["-n", config.workers]
    verbose = any(a == "--verbose" or re.fullmatch(r"-v+", a) for a in extra)
    if wanted(config.progress) and not verbose:
        args += ["-p", "no:terminal", "--oc-show-progress"]
    else:
        # the deviations printed at the end replace pytest's failure sections, unless asked for
        args += [] if verbose else ["-q"]
        if os.environ.get("CI") and not any(a.startswith("--color") for a in extra):
            args += ["--color=no"]  # a CI log is plain text (no progress display either: `wanted`)
        args += [] if any(a.startswith("--tb") for a in extra) else ["--tb=no"]
        args += [] if any(a.startswith("-r") for a in extra) else ["-rN"]
    return args + extra


def handle(args: argparse.Namespace) -> int:
    import pytest

    from conformance.results import new_run_id
    from conformance.runner import plugin, stops

    config = prepare(args)
    run_id = new_run_id()
    plugin.LAST.clear()
    with stops.stoppable(), _stdout_to_stderr(getattr(args, "json", False)):
        try:
            code = pytest.main(pytest_args(config, run_id, list(args.pytest_args or [])))
        except Exception:
            # pytest can fail while it renders the interrupt (a frame without a line number on 3.11); its
            # session-finish, our clean-up and reports, has run by then, so this is still a stopped run.
            if not stops.received():
                raise
            code = pytest.ExitCode.INTERRUPTED
    stop = Terminated if stops.received() == signal.SIGTERM else KeyboardInterrupt
    if "results" not in plugin.LAST:
        if int(code) == 2 or stops.received():
            raise stop
        if int(code) in (3, 4):  # pytest: internal or usage error, already printed
            return EXIT_USAGE
        if int(code) == 5:
            raise ConformanceError("no test selected: check --include/--exclude/--phases and -k")
        return int(code)
    results = plugin.LAST["results"]
    folder = plugin.LAST.get("folder")
    print_summary(
        results,
        folder,
        show=args.show,
        secret_env=[config.api_key_env],
        out=sys.stderr if getattr(args, "json", False) else sys.stdout,
        output_format=output_format(args),
    )
    if getattr(args, "json", False):
        print_results(results, folder, secret_env=[config.api_key_env])
    stopped = int(plugin.LAST["exit_code"]) in (EXIT_UNREACHABLE, EXIT_BUDGET) or results.budget_spent
    if (int(code) == 2 or stops.received()) and not stopped:  # cleaned up, partial reports written
        raise stop
    return int(plugin.LAST["exit_code"])


@contextlib.contextmanager
def _stdout_to_stderr(active: bool) -> Iterator[None]:
    """While pytest runs under --json, file descriptor 1 and sys.stdout point at stderr, so nothing
    (pytest, a plugin, a worker) puts anything but the results document on stdout."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def print_results(results: Any, folder: Any, secret_env: Sequence[str] = ()) -> None:
    """The results document on stdout: the written results.json, else the same document rendered."""
    from conformance.reports import RESULTS_FILE
    from conformance.reports.jsonfile import render

    written = Path(folder) / RESULTS_FILE if folder is not None else None
    if written is not None and written.is_file():
        text = written.read_text(encoding="utf-8")
    else:
        from conformance.redact import redact, redact_text, secret_values

        scrub = secret_values(secret_env)
        text = redact_text(render(redact(results.to_dict(), scrub)), scrub)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def verdict_lines(results: Any) -> list[str]:
    """What --baseline and --profile changed (accepted violations, expired entries, the score), and what
    the suite could not judge."""
    from conformance.runner.verdict import score_lines

    lines = []
    errored = [r for r in results.operations if r.outcome == "error"]
    if errored:
        first = errored[0]
        lines.append(
            f"{len(errored)} operation-phase{'s' if len(errored) != 1 else ''} the suite could not judge "
            f"(outcome error, exit 5), first {first.operation_id} ({first.phase}): {first.reason}"
        )
    baseline = results.baseline
    if baseline:
        lines.append(
            f"baseline {baseline.get('file')}: {baseline.get('accepted', 0)} violations accepted, "
            f"{baseline.get('new', 0)} new"
            + (f", {len(baseline['expired'])} expired entries" if baseline.get("expired") else "")
            + (f", {len(baseline['unused'])} entries matched nothing" if baseline.get("unused") else "")
        )
    return lines + score_lines(results.compatibility)


def print_summary(
    results: Any,
    folder: Any,
    show: int = DEFAULT_SHOW,
    secret_env: Sequence[str] = (),
    *,
    out: Any = None,
    output_format: str = "text",
) -> None:
    """The end of a run: totals, the deviations worst first with reproductions (and, for
    `--format github`, their annotations), the verdict."""
    counts = results.counts()
    operations = {r.operation_id for r in results.operations}
    line = ", ".join(
        f"{counts[o]} {o}" for o in ("passed", "failed", "not-implemented", "skipped", "error") if counts[o]
    )
    out = out or sys.stdout
    print(
        f"\nopenai-conformance: {plural(len(operations), 'operation')}, "
        f"{plural(len(results.operations), 'operation-phase')} ({line}); "
        f"{plural(counts['new_violations'], 'violation')}; {plural(results.requests_sent, 'request')}",
        file=out,
    )
    print(f"target kind {results.kind_line()}", file=out)
    implemented = results.implemented_line()
    if implemented is not None:
        missing = results.not_implemented()
        listed = ", ".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
        print(f"{implemented}; not implemented: {listed}", file=out)
    print_groups(results, show, secret_env=secret_env, file=out, output_format=output_format, report=folder)
    for line in verdict_lines(results):
        print(line, file=out)
    if getattr(results, "budget_spent", False) and results.exit_code == EXIT_OK:
        budget = (results.options or {}).get("request_budget")
        print(
            f"warning: the request budget of {budget} was spent before the end; nothing new found in what ran "
            "(--budget-exhausted-fails makes this exit 4)",
            file=out,
        )
        if output_format == "github":
            from conformance.reports.github import command

            print(
                command(
                    "warning", f"request budget of {budget} spent before the end", title="openai-conformance"
                ),
                file=out,
            )
    if folder is not None:
        print(f"reports: {folder}", file=out)
    print(f"exit code {results.exit_code if results.exit_code is not None else EXIT_OK}", file=out)
