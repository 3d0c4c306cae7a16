"""`openai-conformance fuzz`: generate requests until the time is up; report failures grouped by signature."""

from __future__ import annotations

import argparse
import json
import re
import sys

from conformance.commands import add_show_option, output_format
from conformance.commands.run import EXIT_CODES, verdict_lines
from conformance.errors import EXIT_OK, EXIT_VIOLATIONS, ConformanceError
from conformance.kinds import Phase
from conformance.reports.terminal import print_groups
from conformance.results import OperationResult
from conformance.runner.config import add_options

EXAMPLES = """examples:
  openai-conformance fuzz --max-time 10m                        # the bundled emulator
  openai-conformance fuzz --target http://127.0.0.1:8080/v1 --include Assistants --max-time 90s

Failures are grouped by signature (check, operation, status, error path); each group keeps its shrunk,
minimal request and a curl reproduction in <report dir>/fuzz.json. Hypothesis' example database lives in
<report dir>/hypothesis, so a failure found once is tried first next time.
"""


def parse_time(text: str) -> float:
    """`90`, `90s`, `10m`, `1h30m` -> seconds."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ConformanceError(f"--max-time: invalid value {text!r}: expected e.g. 90s, 10m or 1h")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fuzz",
        help="generate requests until the time is up; group failures by signature",
        description="Fuzz a target (positive and negative requests, shrunk on failure) until --max-time.",
        epilog=EXIT_CODES + "\n" + EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--max-time", default="10m", metavar="TIME", help="how long to fuzz (default 10m)")
    add_options(parser.add_argument)
    add_show_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from conformance.reports.write import write_reports
    from conformance.runner.config import resolve
    from conformance.runner.fuzz import fuzz, open_session
    from conformance.runner.verdict import conclude, run_baseline

    max_time = parse_time(args.max_time)
    given = {k: v for k, v in vars(args).items() if k not in ("handler", "command", "max_time", "show")}
    config = resolve(given)
    run_baseline(config)  # a bad baseline or profile: one line before any fuzzing
    session = open_session(config)
    stopped = None
    try:
        session.target.probe()
        report = fuzz(session, max_time)
        stopped = session.stopped
    finally:
        session.close()
    results = session.results
    for group in report.sorted():
        op = session.spec.by_id.get(group.violation.get("operation_id") or "")
        if op is None:
            continue
        negative = (group.violation.get("request") or {}).get("mode") == "negative"
        phase: Phase = "negative" if negative else "positive"
        result = next((r for r in results.operations if r.operation_id == op.id and r.phase == phase), None)
        if result is None:
            result = results.add(OperationResult.for_operation(op, phase))
        result.add_violation({**group.violation, "occurrences": group.count})
    code = results.finish(stopped.exit_code if stopped is not None else None)
    if config.baseline is not None or config.profile is not None:
        code = conclude(results, config, [s.operation.id for s in session.selection])
    folder = write_reports(results, config.report_dir, secret_env=[config.api_key_env])
    data = {
        "run_id": results.run_id,
        "seconds": round(report.seconds, 1),
        "rounds": report.rounds,
        "examples": report.examples,
        "requests": results.requests_sent,
        "groups": [g.to_dict() for g in report.sorted()],
        "errors": sorted(set(report.errors)),
    }
    (folder / "fuzz.json").write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    out = sys.stdout
    print(
        f"openai-conformance fuzz: {report.examples} examples, {results.requests_sent} requests in "
        f"{report.seconds:.0f} s; {len(report.groups)} distinct failures",
        file=out,
    )
    print_groups(
        results,
        args.show,
        secret_env=[config.api_key_env],
        prefix="deviations",
        file=out,
        output_format=output_format(args),
        report=folder,
    )
    for error in sorted(set(report.errors))[:10]:
        print(f"  error: {error}", file=out)
    for line in verdict_lines(results):
        print(line, file=out)
    print(f"reports: {folder} (fuzz.json holds each failure's minimal request)", file=out)
    if stopped is not None:
        return stopped.exit_code
    if config.baseline is not None:  # only the violations the baseline does not accept count
        return code
    return EXIT_VIOLATIONS if report.groups else (code if code else EXIT_OK)
