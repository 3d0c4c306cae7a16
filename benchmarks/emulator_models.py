"""Speed of the emulator's model endpoints and of the synthesizer, in-process (httpx.ASGITransport).

Prints, per scenario, the median requests per second over rounds, and the median time to synthesise
(and validate) the 2xx body of every operation of the default spec.

    python benchmarks/emulator_models.py [--requests 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from conformance.emulator import create_app
from conformance.emulator.synth import Synthesizer
from conformance.spec import load

HEADERS = {"Authorization": "Bearer sk-bench"}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "How fast is the emulator?"}]}
EVAL = {
    "name": "bench",
    "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
    "testing_criteria": [
        {"type": "string_check", "name": "n", "input": "x", "reference": "y", "operation": "eq"}
    ],
}
SCENARIOS: dict[str, tuple[str, str, Any]] = {
    "chat": ("POST", "/v1/chat/completions", CHAT),
    "chat stream": ("POST", "/v1/chat/completions", {**CHAT, "stream": True}),
    "responses": ("POST", "/v1/responses", {"model": "gpt-4o-mini", "input": "hello"}),
    "responses stream": ("POST", "/v1/responses", {"model": "gpt-4o-mini", "input": "hello", "stream": True}),
    "embeddings x16": ("POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a"] * 16}),
    "generic create (evals)": ("POST", "/v1/evals", EVAL),
    "generic list (org users)": ("GET", "/v1/organization/users", None),
}


async def rate(app: Any, method: str, path: str, body: Any, count: int) -> float:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=HEADERS) as client:
        started = time.perf_counter()
        for _ in range(count):
            response = await client.request(method, path, json=body)
            assert response.status_code < 300, response.text[:200]
        return count / (time.perf_counter() - started)


def synth_all(spec: Any) -> float:
    synth = Synthesizer(spec)
    started = time.perf_counter()
    for op in spec.operations:
        for status, response in op.responses.items():
            if status.startswith("2"):
                for schema in response.content.values():
                    if schema is not None:
                        assert not synth.errors(schema, synth.value(schema, seed=op.id))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    spec = load()
    app = create_app(spec)
    print(f"{'scenario':28} {'median req/s':>12}")
    for name, (method, path, body) in SCENARIOS.items():
        rates = [asyncio.run(rate(app, method, path, body, args.requests)) for _ in range(args.rounds)]
        print(f"{name:28} {statistics.median(rates):12.0f}")
    cold = synth_all(spec)
    warm = statistics.median(synth_all(spec) for _ in range(args.rounds))
    count = sum(
        1 for op in spec.operations for s, r in op.responses.items() if s.startswith("2") for _ in r.content
    )
    print(
        f"synthesise + validate {count} response bodies: cold {cold * 1000:.0f} ms, warm median {warm * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
