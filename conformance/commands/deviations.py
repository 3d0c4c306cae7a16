"""`openai-conformance deviations`: the known-deviations table, with its evidence."""

from __future__ import annotations

import argparse
import json

from conformance.spec.deviations import Deviation, table


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "deviations",
        help="list the known deviations of the real API from its spec",
        description=(
            "List spec/deviations.yaml: where the real API differs from its spec, and the evidence (recorded "
            "exchanges with their dates, the openai SDK's models, the spec's own examples). A finding an entry "
            "explains does not fail a run unless --strict-spec is given."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)


def describe(deviation: Deviation) -> list[str]:
    """A deviation as text lines: what, where, and each piece of evidence."""
    lines = [f"{deviation.id}  ({deviation.kind})", f"  {deviation.real_api}"]
    where = ", ".join(deviation.operations) + " at " + ", ".join(deviation.to_dict()["fields"])
    lines.append(f"  where: {where}")
    if deviation.when:
        lines.append(f"  when: {json.dumps(deviation.when)}")
    if deviation.models:
        lines.append(f"  models: {', '.join(deviation.models)}")
    if deviation.recorded_before is not None:
        lines.append(f"  recorded before: {deviation.recorded_before.isoformat()}")
    for item in deviation.evidence:
        if "cassette" in item:
            lines.append(
                f"  evidence: {item['cassette']} ({item.get('recorded') or 'undated'}) {item.get('exchange', '')} "
                f"{item.get('path', '')}: {item.get('finding', '')}"
            )
        else:
            lines.append("  evidence: " + "; ".join(f"{k}: {v}" for k, v in item.items()))
    return lines


def run(args: argparse.Namespace) -> int:
    entries = table()
    if args.json:
        print(json.dumps([d.to_dict() for d in entries], indent=2))
        return 0
    for deviation in entries:
        print("\n".join(describe(deviation)))
    print(f"{len(entries)} known deviations")
    return 0
