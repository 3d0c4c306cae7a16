"""Requests per second of the emulator for create, retrieve and list assistants, in-process
(httpx.ASGITransport) and over HTTP (uvicorn on 127.0.0.1), beside an empty Starlette handler
on the same machine as the ceiling. Prints medians over rounds.

    python benchmarks/emulator.py [--requests 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from conformance.emulator import create_app
from conformance.spec import load

HEADERS = {"Authorization": "Bearer sk-bench"}


def empty_app() -> Starlette:
    async def ok(request):  # noqa: ANN001
        return Response(b"{}", media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", ok, methods=["GET", "POST"])])


Call = Callable[[int], tuple[str, str, dict | None]]


def scenarios(assistant_id: str) -> dict[str, Call]:
    return {
        "create": lambda i: ("POST", "/v1/assistants", {"model": "gpt-4o", "name": f"bench {i}"}),
        "retrieve": lambda i: ("GET", f"/v1/assistants/{assistant_id}", None),
        "list": lambda i: ("GET", "/v1/assistants?limit=20", None),
    }


async def in_process(app: Starlette, call: Call, count: int) -> float:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=HEADERS) as client:
        started = time.perf_counter()
        for i in range(count):
            method, path, body = call(i)
            response = await client.request(method, path, json=body)
            assert response.status_code == 200, response.text
        return count / (time.perf_counter() - started)


def over_http(port: int, call: Call, count: int) -> float:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=HEADERS) as client:
        started = time.perf_counter()
        for i in range(count):
            method, path, body = call(i)
            response = client.request(method, path, json=body)
            assert response.status_code == 200, response.text
        return count / (time.perf_counter() - started)


def serve(command: list[str]) -> tuple[subprocess.Popen, int]:
    """Start a server in its own process (so client and server do not share a GIL)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/models", headers=HEADERS, timeout=1)
            return process, port
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"server did not start: {command}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    spec = load()
    emulator = create_app(spec)
    ceiling = empty_app()
    seed = asyncio.run(_seed(emulator))
    results: dict[tuple[str, str, str], list[float]] = {}
    here = str(Path(__file__).resolve().parent)
    servers = {
        "emulator": serve([sys.executable, "-m", "conformance", "emulator", "--log-level", "error"]),
        "empty starlette": serve(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                here,
                "--factory",
                "emulator:empty_app",
                "--log-level",
                "error",
                "--host",
                "127.0.0.1",
            ]
        ),
    }
    http_seeds: dict[str, str] = {}
    for name, (_, port) in servers.items():
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=HEADERS) as client:
            for i in range(30):
                response = client.post("/v1/assistants", json={"model": "gpt-4o", "name": f"seed {i}"})
        http_seeds[name] = response.json().get("id", "asst_x")
    for _ in range(args.rounds):
        for target, app in (("emulator", emulator), ("empty starlette", ceiling)):
            for name, call in scenarios(seed).items():
                rps = asyncio.run(in_process(app, call, args.requests))
                results.setdefault((target, "in-process", name), []).append(rps)
            for name, call in scenarios(http_seeds[target]).items():
                rps = over_http(servers[target][1], call, args.requests)
                results.setdefault((target, "http", name), []).append(rps)
    for process, _ in servers.values():
        process.terminate()
        process.wait(timeout=10)
    print(f"requests per second, median of {args.rounds} rounds x {args.requests} sequential requests")
    print(f"{'target':16} {'transport':11} {'operation':9} {'req/s':>9} {'of ceiling':>10}")
    for (target, transport, name), values in sorted(
        results.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])
    ):
        median = statistics.median(values)
        top = statistics.median(results[("empty starlette", transport, name)])
        print(f"{target:16} {transport:11} {name:9} {median:9.0f} {median / top:10.0%}")


async def _seed(app: Starlette) -> str:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=HEADERS) as client:
        for i in range(30):
            response = await client.post("/v1/assistants", json={"model": "gpt-4o", "name": f"seed {i}"})
        return response.json()["id"]


if __name__ == "__main__":
    main()
