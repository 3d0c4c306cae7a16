"""Detection power: our suite and `schemathesis run` against the emulator broken by each catalogued fault.

    python benchmarks/detection.py [--examples 10] [--faults stream-without-done,limit-ignored]

For every fault of `conformance.emulator.faults`, each tool gets a fresh emulator with that fault,
served by uvicorn on 127.0.0.1, and tests the operations the fault touches:

* ours: the runner's `Session` (target `emulator-http`), phases examples, positive, negative and
  stateful, then the scenarios that expose the fault, `--max-examples N`. Detected when the fault's own
  check reports it.
* schemathesis: `st run` (its CLI) on the same normalised spec document our suite loads, phases
  examples, coverage, fuzzing and stateful, `-n N --seed 1 -w 1`, every check but ignored_auth.
  Detected when it reports a failure (check, operation) that its run on the clean emulator does not.

The table shows, per tool, whether the fault was detected, the requests sent until the first detection,
all requests sent, and the wall time; then each tool's detection rate and median requests. Both tools
see a clock that moves one second per request, so objects get distinct `created_at` as on a real server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.emulator import create_app  # noqa: E402
from conformance.emulator.fault_middleware import Fault, request_clock  # noqa: E402
from conformance.emulator.faults import FAULTS  # noqa: E402
from conformance.runner.config import RunConfig  # noqa: E402
from conformance.runner.session import Session  # noqa: E402
from conformance.runner.target import LocalServer  # noqa: E402
from conformance.spec import Spec, load  # noqa: E402

PHASES = ("examples", "positive", "negative", "stateful")
ST_PHASES = "examples,coverage,fuzzing,stateful"


@dataclass
class Outcome:
    detected: bool
    first: int | None  # requests sent when the fault was first reported
    requests: int
    seconds: float
    note: str = ""


def app_for(spec: Spec, faults: list[str]) -> Any:
    app = create_app(spec, faults=faults)
    request_clock(app)
    return app


# -- ours ----------------------------------------------------------------------------------------


def run_ours(spec: Spec, fault: Fault, examples: int) -> Outcome:
    started = time.perf_counter()
    config = RunConfig(target="emulator-http", include=list(fault.operations), max_examples=examples)
    session = Session(config, spec, app=app_for(spec, [fault.name]))
    first: list[int] = []

    def listen(exchange: Any, operation: Any, violations: list[Any]) -> None:
        if not first and any(v.check == fault.check and v.severity == "error" for v in violations):
            first.append(session.target.requests_sent)

    session.listeners.append(listen)
    try:
        items = [(operation_id, phase) for phase in PHASES for operation_id in fault.operations]
        items += [(name, "scenarios") for name in fault.scenarios]
        for name, phase in items:
            if phase == "stateful" and name not in session.families():
                continue
            result = session.run(name, phase)
            # findings a phase adds itself (stateful.*, scenarios) reach no listener: count to its end
            if not first and any(v["check"] == fault.check for v in result.new_violations()):
                first.append(session.target.requests_sent)
    finally:
        session.close()
    return Outcome(bool(first), first[0] if first else None, session.target.requests_sent, _since(started))


# -- schemathesis --------------------------------------------------------------------------------


@dataclass
class StRun:
    failures: list[tuple[str, str, str, int]]  # (check, operation, request, requests sent when it fired)
    requests: int
    seconds: float
    hits: set[str]  # the requests the fault changed


def run_schemathesis(
    st: str, spec_file: Path, spec: Spec, faults: list[str], operations: tuple[str, ...], examples: int
) -> StRun:
    app = app_for(spec, faults)
    server = LocalServer(app)
    report = Path(tempfile.mkdtemp(prefix="st-detection-"))
    started = time.perf_counter()
    try:
        command = [
            st,
            "run",
            str(spec_file),
            "--url",
            server.base_url,
            "-H",
            "Authorization: Bearer sk-detection",
            "-n",
            str(examples),
            "--seed",
            "1",
            "-w",
            "1",
            "--phases",
            ST_PHASES,
            "--exclude-checks",
            "ignored_auth",
            "--request-timeout",
            "10",
            "--report",
            "ndjson",
            "--report-dir",
            str(report),
            "--no-color",
        ]
        for operation_id in operations:
            command += ["--include-operation-id", operation_id]
        subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=False
        )
        seconds = _since(started)
        failures, requests = _read_ndjson(next(report.glob("*.ndjson"), None))
    finally:
        server.close()
        shutil.rmtree(report, ignore_errors=True)
    hits = getattr(app.state, "fault_hits", {})
    return StRun(failures, requests, seconds, {label for labels in hits.values() for label in labels})


def _read_ndjson(path: Path | None) -> tuple[list[tuple[str, str, str, int]], int]:
    """Walk the scenarios in order: every interaction is one request; failed checks are findings."""
    failures: list[tuple[str, str, str, int]] = []
    requests = 0
    if path is None:
        return failures, requests
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        checks = recorder.get("checks") or {}
        for case_id, interaction in (recorder.get("interactions") or {}).items():
            requests += 1
            request = _request(interaction)
            for result in checks.get(case_id, ()):
                if result.get("status") == "failure":
                    failures.append((result["name"], recorder.get("label", ""), request, requests))
    return failures, requests


def _request(interaction: dict[str, Any]) -> str:
    """ "METHOD /v1/path?query", as the fault middleware labels the requests it changed."""
    request = interaction.get("request") or {}
    url = urlsplit(request.get("uri", ""))
    return f"{request.get('method', '')} {url.path}" + (f"?{url.query}" if url.query else "")


def compare(faulty: StRun, clean: StRun) -> Outcome:
    """Detected: a check failed on a request the fault changed, and that check does not fail on that
    operation against the clean emulator (so the finding is the fault's, not noise)."""
    known = {(check, operation) for check, operation, _, _ in clean.failures}
    new = [
        (check, at)
        for check, operation, request, at in faulty.failures
        if (check, operation) not in known and request in faulty.hits
    ]
    note = ", ".join(sorted({check for check, _ in new}))
    first = min((at for _, at in new), default=None)
    return Outcome(bool(new), first, faulty.requests, faulty.seconds, note)


# -- report --------------------------------------------------------------------------------------


def _since(started: float) -> float:
    return time.perf_counter() - started


def _cell(outcome: Outcome) -> str:
    first = "-" if outcome.first is None else str(outcome.first)
    return f"{'yes' if outcome.detected else 'NO':3} {first:>5} {outcome.requests:>6} {outcome.seconds:6.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--examples", type=int, default=10, help="examples per operation and phase (both tools)"
    )
    parser.add_argument("--faults", help="comma separated fault names (default: the whole catalogue)")
    parser.add_argument("--no-schemathesis", action="store_true", help="run our suite only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    # schemathesis' probes are malformed on purpose; a filter outlives uvicorn's logging set-up
    logging.getLogger("uvicorn.error").addFilter(lambda record: "Invalid HTTP" not in record.getMessage())
    # the emulator logs each 500 it answers with a traceback; the table is the output here
    logging.getLogger("conformance.emulator").setLevel(logging.CRITICAL)
    names = args.faults.split(",") if args.faults else list(FAULTS)
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        parser.error(f"unknown fault {unknown[0]!r}")
    st = shutil.which("st", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    if st is None and not args.no_schemathesis:
        parser.error("schemathesis' `st` command is not installed (or pass --no-schemathesis)")
    spec = load()
    spec_file = Path(tempfile.mkdtemp(prefix="detection-spec-")) / "openapi.json"
    spec_file.write_text(json.dumps(spec.document), encoding="utf-8")
    clean: dict[tuple[str, ...], StRun] = {}
    rows: list[tuple[Fault, Outcome, Outcome | None]] = []
    header = "ok? first  reqs   secs"
    print(f"{'fault':28} {'family':10} | ours: {header} | schemathesis: {header} | st found")
    for name in names:
        fault = FAULTS[name]
        ours = run_ours(spec, fault, args.examples)
        theirs = None
        if not args.no_schemathesis:
            assert st is not None
            if fault.operations not in clean:
                clean[fault.operations] = run_schemathesis(
                    st, spec_file, spec, [], fault.operations, args.examples
                )
            faulty = run_schemathesis(st, spec_file, spec, [name], fault.operations, args.examples)
            theirs = compare(faulty, clean[fault.operations])
        rows.append((fault, ours, theirs))
        line = f"{name:28} {fault.family:10} |       {_cell(ours)}"
        if theirs is not None:
            line += f" |               {_cell(theirs)} | {theirs.note or '-'}"
        print(line, flush=True)
    print()
    for tool, index in (("ours", 1), ("schemathesis", 2)):
        outcomes = [row[index] for row in rows if row[index] is not None]
        if not outcomes:
            continue
        found = [o for o in outcomes if o.detected]
        firsts = [o.first for o in found if o.first is not None]
        print(
            f"{tool:13} detected {len(found)}/{len(outcomes)} ({100 * len(found) / len(outcomes):.0f}%); "
            f"median requests to first detection {statistics.median(firsts) if firsts else '-'}; "
            f"median requests per run {statistics.median(o.requests for o in outcomes):.0f}; "
            f"total wall time {sum(o.seconds for o in outcomes):.1f} s"
        )
    if not args.no_schemathesis:
        spent = sum(run.seconds for run in clean.values())
        print(f"(schemathesis' {len(clean)} clean baseline runs took another {spent:.1f} s)")
    shutil.rmtree(spec_file.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
