"""`openai-conformance spec diff OLD NEW`: what changed between two specs, and what it breaks.

Registered by `conformance.commands.spec` under `spec`. Exit 1 when a change breaks clients (for
CI), 0 otherwise, 2 when a spec or profile cannot be read.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from conformance.errors import EXIT_OK, EXIT_VIOLATIONS
from conformance.spec import load
from conformance.spec.drift import Change, SpecDiff, diff_specs

_SHOWN_OPERATIONS = 6


def register(spec_sub: argparse._SubParsersAction) -> None:
    diff = spec_sub.add_parser(
        "diff",
        help="changes between two specs, breaking ones first",
        description=(
            "Compare two OpenAPI specs (each 'openai', a path or a URL): operations added and removed, "
            "request and response changes that break clients, and the operations and checks each affects. "
            "Exit 1 when something breaks, 0 otherwise, 2 on bad input."
        ),
    )
    diff.add_argument("old", metavar="OLD", help="the spec clients were built against")
    diff.add_argument("new", metavar="NEW", help="the spec to compare it with")
    diff.add_argument("--json", action="store_true", help="print JSON instead of text")
    diff.add_argument(
        "--profile",
        metavar="NAME|PATH",
        help="compare only the operations this compatibility profile promises (see `profiles list`)",
    )
    diff.add_argument("--breaking-only", action="store_true", help="leave non-breaking changes out")
    diff.set_defaults(handler=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    old = load(args.old)
    new = load(args.new)
    operations = None
    if args.profile:
        from conformance.profiles import load_profile

        profile = load_profile(args.profile)
        operations = {op.id for spec in (old, new) for op in profile.select(spec.operations)}
    result = diff_specs(old, new, operations)
    if args.json:
        data = result.to_dict()
        if args.breaking_only:
            data["changes"] = [c for c in data["changes"] if c["breaking"]]
        if args.profile:
            data["profile"] = args.profile
        print(json.dumps(data, indent=2))
    else:
        print(render(result, breaking_only=args.breaking_only))
    return EXIT_VIOLATIONS if result.breaking else EXIT_OK


def render(result: SpecDiff, breaking_only: bool = False) -> str:
    """The text report: a summary line, breaking changes, the rest, then added and removed operations."""
    lines = [
        f"old: {_side(result.old)}",
        f"new: {_side(result.new)}",
        f"operations: {len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.changed)} changed",
        f"changes: {len(result.breaking)} breaking, {len(result.non_breaking)} non-breaking",
    ]
    breaking = [c for c in result.breaking if c.kind != "operation-removed"]
    other = [] if breaking_only else [c for c in result.non_breaking if c.kind != "operation-added"]
    if result.removed:
        lines += ["", f"REMOVED OPERATIONS ({len(result.removed)}, breaking):"]
        lines += [f"  {op.method:6} {op.path}  {op.id}" for op in result.removed]
    if breaking:
        lines += ["", f"BREAKING CHANGES ({len(breaking)}):"]
        lines += [line for change in breaking for line in _change(change)]
    if other:
        lines += ["", f"non-breaking changes ({len(other)}):"]
        lines += [line for change in other for line in _change(change)]
    if result.added:
        lines += ["", f"added operations ({len(result.added)}):"]
        lines += [f"  {op.method:6} {op.path}  {op.id}" for op in result.added]
    if not result.changes:
        lines += ["", "no differences in operations, parameters, request bodies or responses"]
    return "\n".join(lines)


def _side(data: dict[str, Any]) -> str:
    return f"{data['source']} ({data['title']} {data['version']}, {data['operations']} operations, " + (
        f"sha256 {data['sha256'][:12]})"
    )


def _change(change: Change) -> list[str]:
    ops = change.operations
    shown = ", ".join(ops[:_SHOWN_OPERATIONS]) + (
        f" (+{len(ops) - _SHOWN_OPERATIONS} more)" if len(ops) > _SHOWN_OPERATIONS else ""
    )
    lines = [f"  {change.kind}: {change.where}: {change.message}", f"      operations: {shown}"]
    if change.checks:
        lines.append(f"      checks: {', '.join(change.checks)}")
    return lines
