"""How long writing and reading reports takes for a full-size run.

A synthetic run over every operation of the real spec and five phases, with violations on about
a third of the results (each with its request and reproduction): `write_reports` (redaction and
all four files) and `read_results` (parse and schema validation). Prints medians, file sizes and, where
headless Chromium is installed, how tall report.html is as rendered (its deviations collapsed: a
2,000-finding run should stay a few screens, not the 1.3 million pixels of one open section per finding).

    python benchmarks/reports.py [--repeat 5] [--violations-per-failure 5]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
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
    parser.add_argument("--violations-per-failure", type=int, default=5)
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
        height = page_height(folder / "report.html", Path(tmp))
    print(f"write_reports: median {statistics.median(writes):.2f} s (min {min(writes):.2f})")
    print(f"read_results:  median {statistics.median(reads):.2f} s (min {min(reads):.2f})")
    for name, size in sorted(sizes.items()):
        print(f"  {name:13s} {size / 1024:8.0f} KiB")
    if height is None:
        print("report.html page height: not measured (no chromium on PATH)")
    else:
        print(
            f"report.html page height: {height:,} px in headless Chromium ({counts['violations']} findings)"
        )


def page_height(page: Path, scratch: Path) -> int | None:
    """The rendered page's scrollHeight, which the report's script records on its #shown element."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
    ]
    done = subprocess.run(
        [chromium, *flags, f"--user-data-dir={scratch / 'chromium'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'id="shown"[^>]*data-height="(\d+)"|data-height="(\d+)"[^>]*id="shown"', done.stdout)
    return int(found.group(1) or found.group(2)) if found else None


if __name__ == "__main__":
    main()
