"""`openai-conformance emulator`: serve the stateful reference emulator with uvicorn."""

from __future__ import annotations

import argparse
import socket

from conformance.commands import add_spec_option, load_spec
from conformance.errors import EXIT_OK, ConformanceError
from conformance.results import EMULATOR_PORT


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "emulator",
        help="serve the stateful OpenAI API emulator",
        description="Serve the stateful reference emulator of the OpenAI API under /v1 (uvicorn; --base-path "
        "changes the prefix).",
    )
    add_spec_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=EMULATOR_PORT, help=f"port (default {EMULATOR_PORT}; 0 picks a free one)"
    )
    parser.add_argument(
        "--state-file", metavar="PATH", help="keep all state in this SQLite file across restarts"
    )
    parser.add_argument(
        "--run-delay", type=float, default=0.0, metavar="S", help="seconds each run state lasts (default 0)"
    )
    parser.add_argument(
        "--file-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds a vector store file stays in_progress (default 0)",
    )
    parser.add_argument(
        "--base-path",
        default="/v1",
        metavar="PATH",
        help="prefix of every route (default /v1; Azure OpenAI's layout is /openai: "
        "--spec azure --base-path /openai serves /openai/deployments/{deployment-id}/...)",
    )
    parser.add_argument("--rate-limit", metavar="N/s", help="answer 429 past this rate (N/s, N/m or N/h)")
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="accept only this bearer key (repeatable; default: any non-empty key)",
    )
    parser.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    parser.add_argument(
        "--list", action="store_true", help="print the operations with a dedicated handler and exit"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="break one contract on purpose, to test a conformance suite (repeatable; see --list-faults)",
    )
    parser.add_argument("--list-faults", action="store_true", help="print the fault catalogue and exit")
    parser.add_argument(
        "--spec-literal",
        action="store_true",
        help="answer by the letter of the spec; by default the emulator answers as the real API does where "
        "it differs from its spec (the known deviations: `openai-conformance deviations`)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from conformance.emulator import create_app, registry
    from conformance.emulator.settings import parse_rate

    if args.list:
        for operation_id in sorted(registry.registered()):
            print(operation_id)
        return EXIT_OK
    if args.list_faults:
        from conformance.emulator.faults import FAULTS

        for item in FAULTS.values():
            print(f"{item.name:28} {item.family:11} {item.check:27} {item.description}")
        return EXIT_OK
    if args.fault:
        from conformance.emulator.faults import resolve

        resolve(args.fault)  # an unknown name: one line, exit 2, before anything starts
    if not 0 <= args.port <= 65535:
        raise ConformanceError(f"bad port {args.port}: expected 0-65535")
    rate = parse_rate(args.rate_limit) if args.rate_limit else None
    app = create_app(
        load_spec(args),
        state_file=args.state_file,
        run_delay=args.run_delay,
        file_delay=args.file_delay,
        rate_limit=rate,
        api_keys=frozenset(args.api_key),
        faults=args.fault,
        base_path=args.base_path,
        spec_literal=args.spec_literal,
    )
    _check_port(args.host, args.port)
    import uvicorn

    if args.port:
        shown = f"[{args.host}]" if ":" in args.host else args.host
        state = args.state_file or "memory only"
        base = app.state.settings.base_path
        print(f"openai-conformance emulator: http://{shown}:{args.port}{base} (state: {state})", flush=True)

    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def _check_port(host: str, port: int) -> None:
    """Fail with one line (exit 2) when the address cannot be bound, before uvicorn logs a traceback."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise ConformanceError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
