"""`openai-conformance baseline update` (write a baseline from a run) and `baseline check`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from conformance.errors import EXIT_OK, EXIT_VIOLATIONS, ConformanceError
from conformance.redact import redact_text
from conformance.reports import DEFAULT_REPORT_DIR, read_results, write_reports
from conformance.reports.baseline import (
    Baseline,
    apply_baseline,
    baseline_from,
    dump_baseline,
    load_baseline,
)
from conformance.reports.jsonfile import find_results

DEFAULT_FILE = "conformance-baseline.yaml"
UPDATE_HELP = """Write a baseline accepting every violation of a run (default: reports/latest),
one entry per deviation (check, operation, JSON path and message shape, with indexes, ids and values
folded). Entries of an existing baseline that still match keep their
reason and expiry; entries that match nothing (fixed violations) are dropped unless --keep-fixed.

exit codes: 0 written, 2 the run or the existing baseline cannot be read
example: openai-conformance baseline update --reason "known spec gaps, see #123" --expires 2027-03-31
"""
CHECK_HELP = """Apply a baseline to a finished run and list the violations it does not accept.

exit codes: 0 no new violations, 1 new violations, 2 the run or the baseline cannot be read
example: openai-conformance baseline check --baseline conformance-baseline.yaml reports --rewrite
"""


def register(sub: argparse._SubParsersAction) -> None:
    baseline = sub.add_parser(
        "baseline", help="accept known violations so only new ones fail", description="Manage a baseline."
    )
    baseline_sub = baseline.add_subparsers(
        dest="baseline_command", metavar="SUBCOMMAND", parser_class=type(baseline)
    )
    baseline.set_defaults(handler=lambda args: baseline.print_help() or 2)

    update = baseline_sub.add_parser(
        "update",
        help="write a baseline from a run",
        description=UPDATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    update.add_argument(
        "run",
        nargs="?",
        default=DEFAULT_REPORT_DIR,
        help=f"run folder, report folder or results.json (default: {DEFAULT_REPORT_DIR})",
    )
    update.add_argument(
        "--output", "-o", default=DEFAULT_FILE, metavar="FILE", help=f"default: {DEFAULT_FILE}"
    )
    update.add_argument("--reason", default="", help="the reason recorded on new entries")
    update.add_argument("--expires", type=_date, metavar="YYYY-MM-DD", help="expiry date of new entries")
    update.add_argument(
        "--keep-fixed", action="store_true", help="keep entries that no longer match anything"
    )
    update.set_defaults(handler=run_update)

    check = baseline_sub.add_parser(
        "check",
        help="list a run's violations a baseline does not accept",
        description=CHECK_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "run",
        nargs="?",
        default=DEFAULT_REPORT_DIR,
        help=f"run folder, report folder or results.json (default: {DEFAULT_REPORT_DIR})",
    )
    check.add_argument("--baseline", required=True, metavar="FILE", help="the baseline file to apply")
    check.add_argument(
        "--rewrite",
        action="store_true",
        help="write the run's reports again with the baseline applied (accepted violations marked)",
    )
    check.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="NAME",
        help="another variable whose value to redact",
    )
    check.set_defaults(handler=run_check)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def run_update(args: argparse.Namespace) -> int:
    results = read_results(args.run)
    output = Path(args.output)
    previous = load_baseline(output) if output.exists() else Baseline()
    before = len(previous.entries)
    baseline = baseline_from(
        results, reason=args.reason, expires=args.expires, previous=previous, keep_unused=args.keep_fixed
    )
    kept = sum(e.matched > 0 or args.keep_fixed for e in previous.entries)
    added = len(baseline.entries) - kept
    try:
        output.write_text(redact_text(dump_baseline(baseline, results)), encoding="utf-8")
    except OSError as exc:
        raise ConformanceError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(
        f"wrote {output}: {len(baseline.entries)} entries ({added} new, {kept} kept, "
        f"{before - kept} dropped as fixed) from run {results.run_id}"
    )
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    path = find_results(args.run).resolve()
    results = read_results(path)
    summary = apply_baseline(results, load_baseline(args.baseline))
    if args.rewrite:
        if path.parent.name != results.run_id:
            raise ConformanceError(
                f"{path}: cannot rewrite, its folder is not named after run {results.run_id}"
            )
        write_reports(results, path.parent.parent, secret_env=args.secret_env, latest=False)
    for entry in summary["expired"]:
        print(
            f"expired: {entry['check']} {entry['operation_id']} (expired {entry.get('expires')})",
            file=sys.stderr,
        )
    for result in results.operations:
        for v in result.new_violations():
            where = f" at {v['path']}" if v.get("path") else ""
            print(
                redact_text(
                    f"new: {v.get('check')} {v.get('operation_id')} [{result.phase}]{where}: "
                    f"{' '.join(str(v.get('message', '')).split())}"
                )
            )
    print(
        f"{summary['new']} new, {summary['accepted']} accepted, {len(summary['unused'])} unused baseline entries"
    )
    return EXIT_VIOLATIONS if summary["new"] else EXIT_OK
