"""`openai-conformance sample`: print requests the strategies generate for one operation.

To see what a fuzz run will send before pointing it at a server, or to seed a bug report.
"""

from __future__ import annotations

import argparse
import json
import sys

from conformance.commands import add_spec_option, load_spec
from conformance.errors import ConformanceError
from conformance.spec import Operation, Spec


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sample",
        help="print generated requests for an operation (JSON lines)",
        description="Print requests the strategies generate for one operation, one JSON object a line.",
    )
    parser.add_argument("operation", metavar="OPERATION", help="an operation id, or 'METHOD /path'")
    parser.add_argument(
        "--mode",
        choices=["positive", "negative", "nulls", "nested-nulls", "examples"],
        default="positive",
        help="valid requests, requests that break one named constraint, valid requests with the body's "
        "nullable properties set to null (nested-nulls: those inside objects), or the documented examples",
    )
    parser.add_argument("-n", "--count", type=int, default=5, help="how many requests (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed prints the same requests")
    add_spec_option(parser)
    parser.set_defaults(handler=run_sample)


def find_operation(spec: Spec, text: str) -> Operation:
    method, _, path = text.strip().partition(" ")
    for op in spec.operations:
        if op.id == text or (path and op.method == method.upper() and op.path == path.strip()):
            return op
    raise ConformanceError(
        f"spec {spec.source.name}: no operation {text!r} (give an operationId or 'GET /path')"
    )


def run_sample(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise ConformanceError("--count must be at least 1")
    spec = load_spec(args)
    op = find_operation(spec, args.operation)
    from conformance import strategies  # noqa: PLC0415 - schemathesis is slow to import; only this command needs it

    generator = strategies.generator_for(spec)
    if args.mode == "examples":
        requests = generator.examples(op)[: args.count]
    else:
        if args.mode == "negative" and not generator.breakable(op):
            raise ConformanceError(f"{op.id} has no parameter or body that a negative request could break")
        nested = args.mode == "nested-nulls"
        if args.mode in ("nulls", "nested-nulls") and not any(
            len(path) > 1 or not nested for path in generator.nullable(op)
        ):
            where = "inside an object " if nested else ""
            raise ConformanceError(f"{op.id} has no body property {where}the spec lets be null")
        if args.mode == "positive":
            strategy = generator.positive(op)
        elif args.mode == "negative":
            strategy = generator.negative(op)
        else:
            strategy = generator.nulls(op, nested=nested)
        requests = _draw(strategy, args.count, args.seed)
    for request in requests:
        sys.stdout.write(json.dumps(request.to_dict(), ensure_ascii=False, default=str) + "\n")
    return 0


def _draw(strategy, count: int, seed: int) -> list:
    from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415
    from hypothesis import seed as with_seed  # noqa: PLC0415

    drawn: list = []

    @with_seed(seed)
    @settings(
        max_examples=count,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(request) -> None:
        if len(drawn) < count:
            drawn.append(request)

    collect()
    return drawn
