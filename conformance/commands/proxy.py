"""`openai-conformance proxy`: validate the traffic an application already sends."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from pathlib import Path

import uvicorn

from conformance.commands import (
    add_show_option,
    add_skip_check_option,
    add_spec_option,
    add_strict_spec_option,
    load_spec,
    output_format,
)
from conformance.errors import ConformanceError
from conformance.proxy.app import DEFAULT_STREAM_TIMEOUT, DEFAULT_TIMEOUT, ProxyApp
from conformance.proxy.cassette import CassetteWriter, upstream_parts
from conformance.proxy.observer import Observer, Session, stderr_printer
from conformance.reports import DEFAULT_REPORT_DIR, write_reports
from conformance.reports.terminal import print_groups
from conformance.results import RunResults, clean_target

DEFAULT_LISTEN = "127.0.0.1:8899"
EPILOG = """a bad upstream never stops the proxy; the client gets the OpenAI error envelope with
  502 upstream_unreachable / upstream_invalid_json / upstream_error, or 504 upstream_timeout,
  and a stream that stalls or never ends is closed with a final `event: error`.

exit codes (after Ctrl-C or SIGTERM):
  0  every exchange conformed
  1  violations found
  2  usage error (bad option, spec, port in use, unwritable --record)
  3  the upstream was never reachable

example:
  openai-conformance proxy --upstream https://api.openai.com/v1 --record traffic.jsonl &
  OPENAI_BASE_URL=http://127.0.0.1:8899/v1 python my_app.py
  kill -INT %1
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "proxy",
        help="a reverse proxy that validates live traffic",
        description=(
            "Forward every request to --upstream unchanged, stream responses back as they arrive, and judge "
            "each exchange against the spec off the request path. Violations print live, one line each; on "
            "exit (Ctrl-C or SIGTERM) the reports are written. Point clients at http://LISTEN/v1."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--upstream", required=True, metavar="URL", help="the API base URL, e.g. https://api.openai.com/v1"
    )
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"default {DEFAULT_LISTEN}; port 0 picks a free one",
    )
    parser.add_argument(
        "--record", type=Path, metavar="FILE", help="write a redacted cassette (JSON Lines) of every exchange"
    )
    add_spec_option(parser)
    add_strict_spec_option(parser)
    add_skip_check_option(parser)
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path(DEFAULT_REPORT_DIR),
        metavar="DIR",
        help=f"default {DEFAULT_REPORT_DIR}",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"upstream connect and idle-read timeout (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--stream-timeout",
        type=_seconds,
        default=DEFAULT_STREAM_TIMEOUT,
        metavar="SECONDS",
        help=f"longest a streamed response may last (default {DEFAULT_STREAM_TIMEOUT:g})",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="do not print the first finding of each deviation as it happens",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="also print one line per exchange")
    add_show_option(parser)
    parser.set_defaults(handler=run_proxy)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ConformanceError(f"--listen {text!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN}")
    return host.strip("[]") or "127.0.0.1", int(port)


def bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets whose protocol says
        # TCP, and without it Nagle's algorithm adds ~40 ms to every proxied response.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # before "listening on" is printed: clients that connect then wait, not fail
    except OSError as exc:
        raise ConformanceError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def run_proxy(args: argparse.Namespace) -> int:
    upstream_parts(args.upstream)  # a bad URL is a usage error before anything starts
    host, port = parse_listen(args.listen)
    spec = load_spec(args)
    results = RunResults(
        spec=spec.describe(),
        target=args.upstream,
        options={
            "mode": "proxy",
            "upstream": clean_target(args.upstream),
            "record": str(args.record) if args.record else None,
            "timeout": args.timeout,
            "stream_timeout": args.stream_timeout,
            "strict_spec": args.strict_spec,
            "skip_checks": args.skip_check,
        },
    )
    observer = Observer(
        spec,
        results,
        None if args.quiet else stderr_printer,
        verbose=args.verbose,
        strict_spec=args.strict_spec,
        skip_checks=tuple(args.skip_check),
    )
    writer = CassetteWriter(args.record, args.upstream, spec) if args.record else None
    sock = bind(host, port)
    session = Session(observer, writer)
    app = ProxyApp(args.upstream, session.submit, timeout=args.timeout, stream_timeout=args.stream_timeout)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(
        f"proxy: listening on http://{shown}:{bound_port}{app.base} -> {clean_target(args.upstream)} "
        f"(spec {spec.title} {spec.version}); Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    _serve(uvicorn.Server(config), sock)
    session.drain()
    session.close()
    code = observer.finish()
    folder = write_reports(results, args.report_dir)
    print_groups(
        results,
        args.show,
        prefix="proxy",
        file=sys.stderr,
        output_format=output_format(args),
        report=folder,
    )
    print(f"proxy: {observer.summary()}", file=sys.stderr)
    if writer is not None:
        print(f"proxy: cassette {args.record} ({writer.count} exchanges)", file=sys.stderr)
    print(f"proxy: reports in {folder}", file=sys.stderr)
    return code


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM, then return normally so the reports get written.

    uvicorn re-raises the signal that stopped it once it has shut down; quiet handlers installed
    here (and restored after) receive it instead of ending the process.
    """
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in stops}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
