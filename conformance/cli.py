"""The `openai-conformance` command line.

Each subcommand lives in `conformance/commands/<name>.py` with `register(subparsers)`, which adds
its parser and sets `handler` to a function taking the parsed args and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from conformance import __version__
from conformance.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE, ConformanceError, Terminated

# One module per subcommand, in `conformance.commands`.
COMMANDS = [
    "spec",
    "checks",
    "deviations",
    "report",
    "baseline",
    "proxy",
    "replay",
    "run",
    "fuzz",
    "emulator",
    "profiles",
    "sample",
]

EXIT_CODES_HELP = """exit codes:
  0  the target conforms (or the command succeeded)
  1  violations found
  2  usage or configuration error (bad option, bad spec, bad input file)
  3  target unreachable
  4  request budget spent before the end
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="openai-conformance",
        description="Spec-conformance and contract testing for the OpenAI REST API.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"conformance.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code = int(handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except ConformanceError as exc:
        print(f"openai-conformance: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print("openai-conformance: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("openai-conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
