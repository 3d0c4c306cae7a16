"""`openai-conformance replay`: judge a recorded cassette against a spec, with no network."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance.commands import add_show_option, add_spec_option, add_strict_spec_option, load_spec
from conformance.proxy.observer import stderr_printer
from conformance.proxy.replay import replay
from conformance.redact import redact
from conformance.reports import write_reports
from conformance.reports.terminal import print_groups

EPILOG = """exit codes:
  0  every recorded exchange conforms to the spec
  1  violations found
  2  usage error (unreadable or malformed cassette, bad spec)
  3  the cassette holds only exchanges whose upstream was unreachable

example:
  openai-conformance replay traffic.jsonl --spec openai-openapi-next.yaml --report-dir reports
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "replay",
        help="validate a recorded cassette against a spec (no network)",
        description=(
            "Judge every exchange of a cassette written by `proxy --record` with the same checks as the live "
            "proxy. Replaying against a newer spec shows what it would break. Exit 1 on violations."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "cassette", type=Path, metavar="FILE", help="a cassette (JSON Lines) from `proxy --record`"
    )
    add_spec_option(parser)
    parser.add_argument("--report-dir", type=Path, metavar="DIR", help="also write the reports into DIR")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--quiet", "-q", action="store_true", help="do not print each violation")
    add_strict_spec_option(parser)
    add_show_option(parser)
    parser.set_defaults(handler=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    observer = replay(
        args.cassette, spec, None if args.quiet or args.json else stderr_printer, strict_spec=args.strict_spec
    )
    code = observer.finish()
    if args.report_dir is not None:
        folder = write_reports(observer.results, args.report_dir)
        print(f"replay: reports in {folder}", file=sys.stderr)
    if args.json:
        print(json.dumps(redact(observer.results.to_dict()), indent=2, default=str))
    print_groups(observer.results, args.show, prefix="replay", file=sys.stderr)
    print(f"replay: {observer.summary()}", file=sys.stderr)
    return code
