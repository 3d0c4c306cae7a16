"""`openai-conformance profiles list|show`: the compatibility profiles a run can be measured against."""

from __future__ import annotations

import argparse
import json
import sys

from conformance.commands import add_spec_option, load_spec
from conformance.profiles import ASPECTS, Profile, builtin_profiles, load_profile


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "profiles",
        help="compatibility profiles: which operations a server promises",
        description=(
            "Compatibility profiles select the operations a server promises and relax only the checks it "
            "does not promise. Use a built-in name or a YAML file of your own with `run --profile`."
        ),
    )
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
    profiles_sub = parser.add_subparsers(
        dest="profiles_command", metavar="SUBCOMMAND", parser_class=type(parser)
    )
    listing = profiles_sub.add_parser(
        "list", help="the built-in profiles", description="List the built-in profiles."
    )
    add_spec_option(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(handler=run_list)
    show = profiles_sub.add_parser(
        "show",
        help="one profile: its operations and relaxations",
        description="Show a profile (a built-in name or a YAML path) against a spec: the operations it selects, "
        "what it relaxes, and anything in it the spec does not have.",
    )
    show.add_argument("profile", metavar="NAME|PATH")
    add_spec_option(show)
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(handler=run_show)


def run_list(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    profiles = builtin_profiles()
    if args.json:
        data = [{**p.to_dict(), "selected": len(p.select(spec.operations))} for p in profiles]
        print(json.dumps(data, indent=2))
        return 0
    width = max(len(p.name) for p in profiles)
    for profile in profiles:
        count = len(profile.select(spec.operations))
        print(f"{profile.name:{width}}  {count:4d} ops  {profile.description}")
    print(
        f"\n{len(profiles)} built-in profiles; `profiles show NAME` for details, `run --profile NAME|FILE.yaml`."
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    spec = load_spec(args)
    selected = profile.select(spec.operations)
    problems = profile.problems(spec.operations)
    for problem in problems:
        print(f"openai-conformance: warning: profile {profile.name}: {problem}", file=sys.stderr)
    if args.json:
        data = {
            **profile.to_dict(),
            "spec": spec.describe(),
            "selected": [{"id": op.id, "method": op.method, "path": op.path} for op in selected],
            "problems": problems,
        }
        print(json.dumps(data, indent=2))
        return 0
    print(_render(profile, [f"{op.method:6} {op.path}  {op.id}" for op in selected], len(spec.operations)))
    return 0


def _render(profile: Profile, selected: list[str], total: int) -> str:
    lines = [f"{profile.name}: {profile.description}", f"source:   {profile.source}"]
    if profile.base_url:
        lines.append(f"base URL: {profile.base_url}")
    lines.append(f"operations: {len(selected)} of {total}")
    lines += [f"  {line}" for line in selected]
    lines.append("relaxes:" if profile.relaxations else "relaxes: nothing (every check applies)")
    for relaxation in profile.relaxations:
        scope = f" (only {', '.join(relaxation.operations)})" if relaxation.operations else ""
        known = ASPECTS.get(relaxation.pattern, "")
        reason = relaxation.reason or known
        lines.append(f"  {relaxation.pattern}{scope}" + (f": {reason}" if reason else ""))
    if profile.unsupported:
        lines.append("unsupported request fields (not sent):")
        lines += [f"  {op}: {', '.join(fields)}" for op, fields in profile.unsupported.items()]
    if profile.sources:
        lines.append("sources:")
        for source in profile.sources:
            lines.append(f"  {source.source} (read {source.date}): {', '.join(source.operations)}")
            if source.says:
                lines.append(f"      {source.says}")
    elif profile.vendor:
        lines.append("sources: none given (its promises rest on nothing the profile cites)")
    if profile.notes:
        lines.append("notes:")
        lines += [f"  - {note}" for note in profile.notes]
    return "\n".join(lines)
