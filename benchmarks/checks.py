"""How fast the checks judge responses: jsonschema-rs against jsonschema on the same bodies.

    python benchmarks/checks.py [--seconds 0.5] [--items 20]

Bodies are recorded from the bundled emulator (in-process, no network) when it answers, and
hand-made conforming bodies otherwise. Prints, per body: its size, validations/s with each library
and the ratio; then the medians, the cost of compiling validators, and whole `run_checks`
throughput. The target is at least 20,000 validations/s on median-size bodies with jsonschema-rs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.checks import run_checks  # noqa: E402
from conformance.exchange import Exchange, Request, Response  # noqa: E402
from conformance.spec import Spec, load  # noqa: E402
from conformance.spec.validators import BASE_URI, Validators, absolute_refs  # noqa: E402

Recorded = tuple[str, str, str, dict[str, Any], Exchange]  # operation id, status, media type, body, exchange


def record_from_emulator(spec: Spec, items: int) -> list[Recorded]:
    """A realistic mix of answers from the emulator; empty when it is not available."""
    try:
        import httpx

        from conformance.emulator import create_app
    except ImportError:
        return []
    calls: list[tuple[str, str, str, Any]] = [
        *[
            (
                "createAssistant",
                "POST",
                "/assistants",
                {"model": "gpt-4o", "name": f"bench {i}", "metadata": {"i": str(i)}},
            )
            for i in range(items)
        ],
        ("listAssistants", "GET", f"/assistants?limit={items}", None),
        ("createThread", "POST", "/threads", {}),
        (
            "createChatCompletion",
            "POST",
            "/chat/completions",
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello"}]},
        ),
        ("createEmbedding", "POST", "/embeddings", {"model": "text-embedding-3-small", "input": "hello"}),
        ("listModels", "GET", "/models", None),
        ("createVectorStore", "POST", "/vector_stores", {"name": "bench"}),
        ("listVectorStores", "GET", "/vector_stores", None),
        ("createResponse", "POST", "/responses", {"model": "gpt-4o", "input": "hello"}),
        ("createModeration", "POST", "/moderations", {"input": "hello"}),
    ]

    async def run() -> list[Recorded]:
        out: list[Recorded] = []
        transport = httpx.ASGITransport(app=create_app(spec))
        headers = {"Authorization": "Bearer sk-bench", "OpenAI-Beta": "assistants=v2"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://emulator/v1", headers=headers
        ) as client:
            for op_id, method, path, body in calls:
                try:
                    r = await client.request(method, path, json=body)
                except Exception:  # noqa: BLE001  (an emulator gap must not stop the benchmark)
                    continue
                if not 200 <= r.status_code < 300 or "json" not in r.headers.get("content-type", ""):
                    continue
                response = Response(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)
                request = Request(method, path.split("?")[0], operation_id=op_id, body=body)
                out.append(
                    (op_id, str(r.status_code), "application/json", r.json(), Exchange(request, response))
                )
        return out

    try:
        return asyncio.run(run())
    except Exception as exc:  # noqa: BLE001
        print(f"(emulator unavailable: {type(exc).__name__}: {exc}; using hand-made bodies)")
        return []


def hand_made(items: int) -> list[Recorded]:
    def assistant(i: int) -> dict[str, Any]:
        return {
            "id": f"asst_{i:06d}",
            "object": "assistant",
            "created_at": 1_730_000_000 + i,
            "name": f"bench {i}",
            "description": None,
            "model": "gpt-4o",
            "instructions": None,
            "tools": [],
            "tool_resources": {},
            "metadata": {"i": str(i)},
            "temperature": 1.0,
            "top_p": 1.0,
            "response_format": "auto",
        }

    data = [assistant(i) for i in range(items)]
    listing = {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"],
        "last_id": data[-1]["id"],
        "has_more": False,
    }
    out = [
        ("getAssistant", "200", "application/json", assistant(0)),
        ("listAssistants", "200", "application/json", listing),
    ]
    return [
        (
            o,
            s,
            m,
            b,
            Exchange(
                Request("GET", "/x", operation_id=o),
                Response(200, {"content-type": m}, json.dumps(b).encode()),
            ),
        )
        for o, s, m, b in out
    ]


def rate(function: Any, seconds: float) -> float:
    """Calls per second of `function()` over about `seconds`."""
    n, started = 0, time.perf_counter()
    while True:
        for _ in range(20):
            function()
        n += 20
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return n / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measurement (default 0.5)")
    parser.add_argument(
        "--items", type=int, default=20, help="items in the recorded list answer (default 20)"
    )
    args = parser.parse_args()

    spec = load()
    recorded = record_from_emulator(spec, args.items) or hand_made(args.items)
    source = "emulator" if recorded and recorded[0][4].request.path != "/x" else "hand-made"
    seen, bodies = set(), []
    for entry in recorded:  # one body per operation: the first one
        if entry[0] not in seen:
            seen.add(entry[0])
            bodies.append(entry)

    started = time.perf_counter()
    cold = Validators(spec)
    registry_rs = time.perf_counter()
    _ = cold.registry
    registry_rs = time.perf_counter() - registry_rs
    compile_ms = []
    for op_id, status, media, _body, _ex in bodies:
        t = time.perf_counter()
        cold.for_response(spec.operation(op_id), status, media)
        compile_ms.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    resource = referencing.Resource.from_contents(
        {"components": spec.document["components"]}, default_specification=referencing.jsonschema.DRAFT202012
    )
    registry_py = referencing.Registry().with_resource(BASE_URI, resource)
    registry_py_s = time.perf_counter() - t

    print(f"bodies: {len(bodies)} ({source}), {args.seconds:g} s per measurement")
    print(f"{'operation':<24} {'bytes':>7} {'jsonschema-rs/s':>16} {'jsonschema/s':>13} {'ratio':>7}")
    sizes, rs_rates, py_rates = [], [], []
    for op_id, status, media, body, _ex in bodies:
        op = spec.operation(op_id)
        fast = spec.validators.for_response(op, status, media)
        node = op.responses[status].content[media]
        slow = jsonschema.Draft202012Validator(absolute_refs(node), registry=registry_py)
        ok_rs, ok_py = fast.is_valid(body), slow.is_valid(body)
        rs = rate(lambda fast=fast, body=body: fast.is_valid(body), args.seconds)
        py = rate(lambda slow=slow, body=body: slow.is_valid(body), args.seconds)
        size = len(json.dumps(body))
        sizes.append(size)
        rs_rates.append(rs)
        py_rates.append(py)
        flag = "" if ok_rs == ok_py else "  (libraries disagree!)"
        valid = "" if ok_rs else "  (invalid body)"
        print(f"{op_id:<24} {size:>7} {rs:>16,.0f} {py:>13,.0f} {rs / py:>6.0f}x{valid}{flag}")

    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    mid = order[len(order) // 2]
    print(
        f"median body: {sizes[mid]} bytes ({bodies[mid][0]}): jsonschema-rs {rs_rates[mid]:,.0f}/s, jsonschema {py_rates[mid]:,.0f}/s"
    )
    print(
        f"median over bodies: jsonschema-rs {statistics.median(rs_rates):,.0f}/s, jsonschema {statistics.median(py_rates):,.0f}/s, ratio {statistics.median(r / p for r, p in zip(rs_rates, py_rates, strict=True)):.0f}x"
    )
    target = "met" if rs_rates[mid] >= 20_000 else "NOT met"
    print(f"target >= 20,000 validations/s on the median-size body: {target}")
    print(
        f"compile: components registry {registry_rs * 1000:.1f} ms (jsonschema-rs), {registry_py_s * 1000:.1f} ms (referencing);"
        f" per response validator median {statistics.median(compile_ms):.2f} ms, max {max(compile_ms):.2f} ms"
    )
    exchanges = [entry[4] for entry in recorded]
    per_second = rate(lambda: [run_checks(e, spec) for e in exchanges], args.seconds) * len(exchanges)
    print(f"run_checks, every check, {len(exchanges)} recorded exchanges: {per_second:,.0f} exchanges/s")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
