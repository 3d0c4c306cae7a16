"""`openai-conformance replay`: judge recorded traffic against a spec, with no network."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance.commands import (
    add_show_option,
    add_skip_check_option,
    add_spec_option,
    add_strict_spec_option,
    load_spec,
    output_format,
)
from conformance.proxy.observer import stderr_printer
from conformance.proxy.readers import DEFAULT_BASE_URL
from conformance.proxy.replay import replay
from conformance.redact import redact
from conformance.reports import write_reports
from conformance.reports.recordings import provenance_lines
from conformance.reports.terminal import print_groups

DESCRIPTION = """\
Judge every recorded exchange with the same checks as the live proxy, with no network. Replaying
against a newer spec shows what it would break. Exit 1 on violations.

Formats, told apart by content (not by file name):
  JSONL cassette   written by `openai-conformance proxy --record`
  vcrpy YAML       vcrpy / pytest-recording cassettes (`interactions`; `body.string`, pydantic-ai's
                   `parsed_body`, !!binary and gzip/br-compressed bodies)
  Ruby VCR YAML    `http_interactions` (`body.string` with `encoding`, `base64_string`, !binary)
  HAR 1.2          browser dev tools, mitmproxy, Charles, Postman exports (`log.entries`)
A directory stands for every recording below it; other files there (a README) are skipped.

Only exchanges addressed to the API base (--base-url) are judged; the others are counted per host
as "other hosts". A header absent from every response of a VCR or HAR recording was filtered by the
recorder: it is not reported missing for that recording, and the report names it. The reports show
the date range of the evidence (the recording's timestamps, else the `date` header, else the
body's `created`/`created_at`).
"""

EPILOG = """exit codes:
  0  every recorded exchange conforms to the spec
  1  violations found
  2  usage error (unreadable, unknown or malformed recording, bad spec, unknown check id)
  3  the cassette holds only exchanges whose upstream was unreachable

examples:
  openai-conformance replay traffic.jsonl --spec openai-openapi-next.yaml --report-dir reports
  openai-conformance replay tests/cassettes/ --skip-check response.headers
  openai-conformance replay session.har --base-url https://my-gateway.example.com/openai/v1
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "replay",
        help="validate recorded traffic (JSONL cassettes, VCR YAML, HAR) against a spec (no network)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "recordings",
        type=Path,
        nargs="+",
        metavar="FILE|DIR",
        help="recordings to judge: files in any format above, or directories holding them",
    )
    add_spec_option(parser)
    parser.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help=f"the API base exchanges must be addressed to, to be judged (default {DEFAULT_BASE_URL})",
    )
    parser.add_argument("--report-dir", type=Path, metavar="DIR", help="also write the reports into DIR")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="do not print the first finding of each deviation as it is judged",
    )
    add_strict_spec_option(parser)
    add_show_option(parser)
    add_skip_check_option(parser)
    parser.set_defaults(handler=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    observer = replay(
        args.recordings,
        spec,
        None if args.quiet or args.json else stderr_printer,
        strict_spec=args.strict_spec,
        base_url=args.base_url,
        skip_checks=args.skip_check,
    )
    code = observer.finish()
    folder = None
    if args.report_dir is not None:
        folder = write_reports(observer.results, args.report_dir)
        print(f"replay: reports in {folder}", file=sys.stderr)
    if args.json:
        print(json.dumps(redact(observer.results.to_dict()), indent=2, default=str))
    print_groups(
        observer.results,
        args.show,
        prefix="replay",
        file=sys.stderr,
        output_format=output_format(args),
        report=folder,
    )
    print(f"replay: {observer.summary()}", file=sys.stderr)
    for line in provenance_lines(observer.results.recordings):
        print(f"replay: {line}", file=sys.stderr)
    return code
