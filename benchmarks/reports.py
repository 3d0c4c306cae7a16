"""How long writing and reading reports takes for a full-size run.

A synthetic run over every operation of the real spec and five phases, with violations on about
a third of the results (each with its request and reproduction): `write_reports` (redaction and
all four files) and `read_results` (parse and schema validation). Prints medians and file sizes.

    python benchmarks/reports.py [--repeat 5] [--violations-per-failure 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from conformance.exchange import Request
from conformance.reports import read_results, write_reports
from conformance.results import OperationResult, RunResults
from conformance.spec import load

PHASES = ("examples", "positive", "negative", "stateful", "scenarios")
FAMILIES = ("schema", "errors", "pagination", "lifecycle", "streaming", "http")


def synthetic_run(per_failure: int, seed: int = 1) -> RunResults:
    spec = load()
    rng = random.Random(seed)
    run = RunResults(spec=spec.describe(), target="http://127.0.0.1:8080/v1", seed=seed)
    for op in spec.operations:
        for phase in PHASES:
            result = run.add(OperationResult.for_operation(op, phase, requests=10, examples=10, duration=0.1))
            if rng.random() > 0.33:
                continue
            for k in range(per_failure):
                request = Request(
                    op.method,
                    op.path,
                    op.id,
                    op.path,
                    headers={"Authorization": "Bearer sk-benchmarkkey0123456789"},
                    body={"model": "gpt-4o-mini", "input": "x" * 200} if op.request_bodies else None,
                    media_type="application/json" if op.request_bodies else None,
                )
                result.add_violation(
                    {
                        "check": "response.schema",
                        "severity": "error",
                        "family": rng.choice(FAMILIES),
                        "operation_id": op.id,
                        "message": f"'created_at' is not of type 'integer' (example {k})",
                        "expected": "integer",
                        "got": '"2026-11-22T01:00:00Z"',
                        "path": f"$.data[{k}].created_at",
                        "request": request.to_dict(),
                        "status": 200,
                    },
                    run.base_url,
                )
    run.finish()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--violations-per-failure", type=int, default=3)
    args = parser.parse_args()
    run = synthetic_run(args.violations_per_failure)
    counts = run.counts()
    print(f"run: {len(run.operations)} operation x phase results, {counts['violations']} violations")
    writes, reads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            started = time.perf_counter()
            folder = write_reports(run, Path(tmp))
            writes.append(time.perf_counter() - started)
            started = time.perf_counter()
            read_results(folder)
            reads.append(time.perf_counter() - started)
        sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    print(f"write_reports: median {statistics.median(writes):.2f} s (min {min(writes):.2f})")
    print(f"read_results:  median {statistics.median(reads):.2f} s (min {min(reads):.2f})")
    for name, size in sorted(sizes.items()):
        print(f"  {name:13s} {size / 1024:8.0f} KiB")


if __name__ == "__main__":
    main()
