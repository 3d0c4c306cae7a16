"""What the proxy costs: added latency, time to the first streamed event, requests per second.

    python benchmarks/proxy.py [--requests 300] [--seconds 3] [--concurrency 8]

Starts a minimal upstream (a raw ASGI app under uvicorn) and `openai-conformance proxy` in front of
it, each in its own process, then measures from this process with httpx: every figure is printed
direct (client -> upstream) and proxied (client -> proxy -> upstream). The proxy judges every
exchange with the real checks while it serves, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

CREATED = 1_700_000_000
MODELS = json.dumps(
    {
        "object": "list",
        "data": [
            {"id": f"gpt-{i}", "object": "model", "created": CREATED, "owned_by": "openai"} for i in range(5)
        ],
    }
).encode()
STREAM_GAP = 0.5  # seconds the upstream waits between its first event and the rest


def _chunk(content: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": content}, "logprobs": None, "finish_reason": finish}
    data = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-4o-mini",
        "choices": [choice],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """GET /v1/models answers a model list; POST /v1/chat/completions streams, with a pause."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"x-request-id", b"req_bench")]
    if scope["path"] == "/v1/chat/completions":
        headers.append((b"content-type", b"text/event-stream"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": _chunk(""), "more_body": True})
        await asyncio.sleep(STREAM_GAP)
        for word in ("Hel", "lo"):
            await send({"type": "http.response.body", "body": _chunk(word), "more_body": True})
        await send({"type": "http.response.body", "body": _chunk("", "stop") + b"data: [DONE]\n\n"})
        return
    headers += [(b"content-type", b"application/json"), (b"content-length", str(len(MODELS)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": MODELS})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f} ms"


def p90_ms(values: list[float]) -> str:
    return f"{statistics.quantiles(values, n=10)[-1] * 1000:.2f} ms"


def latency(direct: str, proxied: str, n: int) -> tuple[list[float], list[float]]:
    """Alternate direct and proxied requests, so load from other processes hits both alike."""
    times: dict[str, list[float]] = {direct: [], proxied: []}
    with httpx.Client() as client:
        for base in times:
            client.get(base + "/models")  # warm the connections
        for _ in range(n):
            for base, samples in times.items():
                started = time.perf_counter()
                client.get(base + "/models").raise_for_status()
                samples.append(time.perf_counter() - started)
    return times[direct], times[proxied]


def first_event(base: str, n: int) -> tuple[list[float], list[float]]:
    firsts, totals = [], []
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            started = time.perf_counter()
            with client.stream("POST", base + "/chat/completions", json=body) as response:
                first = None
                for line in response.iter_lines():
                    if first is None and line.startswith("data: "):
                        first = time.perf_counter() - started
            firsts.append(first if first is not None else float("nan"))
            totals.append(time.perf_counter() - started)
    return firsts, totals


async def throughput(base: str, seconds: float, concurrency: int) -> float:
    done = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                (await client.get(base + "/models")).raise_for_status()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="sequential requests for latency")
    parser.add_argument("--streams", type=int, default=10, help="streams for time to first event")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve-upstream", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        import uvicorn

        uvicorn.run(
            upstream, host="127.0.0.1", port=args.serve_upstream, log_level="warning", access_log=False
        )
        return

    up_port, proxy_port = free_port(), free_port()
    direct = f"http://127.0.0.1:{up_port}/v1"
    proxied = f"http://127.0.0.1:{proxy_port}/v1"
    reports = Path(tempfile.mkdtemp(prefix="proxy-bench-"))
    server = subprocess.Popen([sys.executable, __file__, "--serve-upstream", str(up_port)])
    proxy = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance",
            "proxy",
            "--upstream",
            direct,
            "--listen",
            f"127.0.0.1:{proxy_port}",
        ]
        + ["--report-dir", str(reports), "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(direct + "/models")
        wait_ready(proxied + "/models")
        print(f"proxy benchmark: {args.requests} sequential GET /v1/models, {args.streams} streams, ", end="")
        print(f"{args.seconds:g} s x {args.concurrency} concurrent clients for throughput")
        lat_direct, lat_proxy = latency(direct, proxied, args.requests)
        added = statistics.median(lat_proxy) - statistics.median(lat_direct)
        print(
            f"latency median  direct {median_ms(lat_direct)}  proxied {median_ms(lat_proxy)}  added {added * 1000:.2f} ms"
        )
        print(f"latency p90     direct {p90_ms(lat_direct)}  proxied {p90_ms(lat_proxy)}")
        first_direct, total_direct = first_event(direct, args.streams)
        first_proxy, total_proxy = first_event(proxied, args.streams)
        print(
            f"first event     direct {median_ms(first_direct)}  proxied {median_ms(first_proxy)}  "
            f"(the stream lasts {STREAM_GAP * 1000:.0f} ms more: direct {median_ms(total_direct)}, "
            f"proxied {median_ms(total_proxy)})"
        )
        rps_direct = asyncio.run(throughput(direct, args.seconds, args.concurrency))
        rps_proxy = asyncio.run(throughput(proxied, args.seconds, args.concurrency))
        print(
            f"requests/s      direct {rps_direct:.0f}  proxied {rps_proxy:.0f}  ratio {rps_proxy / rps_direct:.2f}"
        )
    finally:
        stopped = time.perf_counter()
        proxy.send_signal(signal.SIGINT)
        _, err = proxy.communicate(timeout=300)
        drain = time.perf_counter() - stopped
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(reports, ignore_errors=True)
    summary = next((line for line in err.splitlines() if re.search(r"\d+ exchanges", line)), err.strip())
    print(f"checks backlog  drained in {drain:.2f} s after stop; {summary.removeprefix('proxy: ')}")


if __name__ == "__main__":
    main()
