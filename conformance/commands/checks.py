"""`openai-conformance checks`: the catalogue of every check, with its id, severity and one line."""

from __future__ import annotations

import argparse
import json

from conformance.checks import CHECKS, FAMILIES, Check
from conformance.errors import ConformanceError

FAMILY_ORDER = {
    family: i for i, family in enumerate(("http", "schema", "errors", "pagination", "lifecycle", "streaming"))
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "checks",
        help="list every conformance check",
        description="List every conformance check: its id, default severity, family and what it asserts.",
    )
    parser.add_argument("ids", nargs="*", metavar="CHECK", help="only these checks (ids or families)")
    parser.add_argument("--family", choices=FAMILIES, help="only the checks of one family")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def catalogue(ids: list[str] | None = None, family: str | None = None) -> list[Check]:
    """The checks in catalogue order (by family, then id), filtered as asked."""
    rules = sorted(CHECKS.values(), key=lambda c: (FAMILY_ORDER.get(c.family, 99), c.id))
    if ids:
        unknown = [i for i in ids if i not in CHECKS and i not in FAMILIES]
        if unknown:
            raise ConformanceError(
                f"unknown check {unknown[0]!r}; run `openai-conformance checks` for the list"
            )
        rules = [c for c in rules if c.id in ids or c.family in ids]
    if family:
        rules = [c for c in rules if c.family == family]
    return rules


def run(args: argparse.Namespace) -> int:
    rules = catalogue(args.ids, args.family)
    if args.json:
        data = [
            {"id": c.id, "severity": c.severity, "family": c.family, "description": c.description}
            for c in rules
        ]
        print(json.dumps(data, indent=2))
        return 0
    width = max((len(c.id) for c in rules), default=0)
    for rule in rules:
        print(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.family:<10}  {rule.description}")
    return 0
