"""`openai-conformance report diff A B` and `openai-conformance report merge DIR...`."""

from __future__ import annotations

import argparse
import json
import sys

from conformance.errors import EXIT_OK, EXIT_VIOLATIONS
from conformance.redact import redact, redact_text
from conformance.reports import DEFAULT_REPORT_DIR, read_results, write_reports
from conformance.reports.baseline import apply_baseline, load_baseline
from conformance.reports.diff import diff_runs, render_text
from conformance.reports.merge import merge_runs

DIFF_HELP = """Compare two runs (results.json files, run folders, or report folders meaning their `latest`).
Findings are compared as deviations: check, operation, JSON path and message shape (array indexes, ids,
numbers and quoted values folded); each is listed once with its count.

exit codes: 0 no new deviations in B (or only accepted / known ones), 1 new deviations in B,
            2 a run cannot be read
example: openai-conformance report diff main-report/ reports/
"""
MERGE_HELP = """Join the runs of several shards (results.json files or run folders) into one run and write
the usual reports (results.json, junit.xml, summary.md, report.html) to OUTPUT/<new run id>/.

Each shard's results.json records `I/N` and the id its run's shards share (`--shard-run`, else
$GITHUB_RUN_ID / $CI_PIPELINE_ID, else a digest of the options): shards of different runs or splits, or
the same shard twice, are refused; a missing shard is refused unless --allow-partial.

exit codes: 0 merged run conforms, 1 new violations, 3/4 a shard was unreachable or spent its budget,
            2 a run cannot be read, the runs used different specs, or the shard set is incomplete or mixed
example: openai-conformance report merge shard-*/ --baseline conformance-baseline.yaml
"""


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report", help="compare and merge run reports", description="Work with run reports."
    )
    report_sub = report.add_subparsers(dest="report_command", metavar="SUBCOMMAND", parser_class=type(report))
    report.set_defaults(handler=lambda args: report.print_help() or 2)

    diff = report_sub.add_parser(
        "diff",
        help="new and fixed violations between two runs",
        description=DIFF_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("a", metavar="A", help="the earlier run (e.g. the main branch)")
    diff.add_argument("b", metavar="B", help="the later run")
    diff.add_argument("--json", action="store_true", help="print JSON instead of text")
    diff.add_argument("--no-fail", action="store_true", help="exit 0 even when B has new violations")
    diff.set_defaults(handler=run_diff)

    merge = report_sub.add_parser(
        "merge",
        help="join shard reports into one",
        description=MERGE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    merge.add_argument(
        "runs", nargs="+", metavar="DIR", help="run folders, report folders or results.json files"
    )
    merge.add_argument(
        "--output",
        "-o",
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help=f"report folder (default: {DEFAULT_REPORT_DIR})",
    )
    merge.add_argument("--baseline", metavar="FILE", help="accept the violations this baseline lists")
    merge.add_argument(
        "--allow-mixed-specs", action="store_true", help="merge runs made with different specs"
    )
    merge.add_argument(
        "--allow-partial",
        action="store_true",
        help="merge an incomplete shard set (the merged reports name the missing shards)",
    )
    merge.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="NAME",
        help="another variable whose value to redact",
    )
    merge.add_argument(
        "--no-fail", action="store_true", help="exit 0 when the merge worked, whatever it found"
    )
    merge.set_defaults(handler=run_merge)


def run_diff(args: argparse.Namespace) -> int:
    a, b = read_results(args.a), read_results(args.b)
    result = diff_runs(a, b)
    if args.json:
        print(json.dumps(redact({"a": a.run_id, "b": b.run_id, **result.to_dict()}), indent=2, default=str))
    else:
        sys.stdout.write(redact_text(render_text(result, a, b)))
    return EXIT_VIOLATIONS if result.counted and not args.no_fail else EXIT_OK


def run_merge(args: argparse.Namespace) -> int:
    merged = merge_runs(
        [read_results(r) for r in args.runs],
        allow_mixed_specs=args.allow_mixed_specs,
        allow_partial=args.allow_partial,
    )
    if args.baseline:
        apply_baseline(merged, load_baseline(args.baseline))
    folder = write_reports(merged, args.output, secret_env=args.secret_env)
    counts = merged.counts()
    print(
        f"merged {len(merged.shards)} runs into {folder}: {len(merged.operations)} results, "
        f"{counts['new_violations']} new violations, {counts['accepted_violations']} accepted"
    )
    if merged.missing_shards:
        print(f"warning: partial merge, shards missing: {', '.join(merged.missing_shards)}", file=sys.stderr)
    return EXIT_OK if args.no_fail else int(merged.exit_code or 0)
