"""Benchmark the runner: every operation, positive and negative, N examples each, beside `schemathesis run`.

    python benchmarks/run.py                 # 10 examples, in-process + HTTP + schemathesis
    python benchmarks/run.py --examples 3 --skip-schemathesis

Prints wall time, requests, requests per second and peak memory (max RSS of the child process) for:
  1. `openai-conformance run --target emulator`       (the emulator in-process)
  2. `openai-conformance run --target emulator-http`  (uvicorn on a local port, in the same process)
  3. `schemathesis run` on the same (normalised) spec, against the emulator served here by uvicorn,
     with the same per-operation budget (--max-examples N, --mode all = positive and negative,
     --phases fuzzing), and the ratio of our requests per second to schemathesis'.
Each command runs in its own process, so the figures include start-up, as a user would see them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from conformance.emulator import create_app
from conformance.runner.target import EMULATOR_KEY, LocalServer
from conformance.spec import load


def child(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command; its wall time, its own peak RSS in kB (os.wait4) and its output."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        _, _, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = 0
        out.seek(0)
        return wall, usage.ru_maxrss, out.read()


def ours(target: str, examples: int, report_dir: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--target",
        target,
        "--phases",
        "positive,negative",
        "--max-examples",
        str(examples),
        "--report-dir",
        str(report_dir),
    ]
    wall, peak, output = child(command, {"CI": "1"})
    results = json.loads((report_dir / "latest" / "results.json").read_text())
    return {
        "name": f"openai-conformance ({target})",
        "wall": wall,
        "requests": results["requests_sent"],
        "peak_kb": peak,
        "operations": len({r["operation_id"] for r in results["operations"]}),
    }


def schemathesis(examples: int, spec_path: Path, url: str, report_dir: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(spec_path),
        "--url",
        url,
        "--max-examples",
        str(examples),
        "--mode",
        "all",
        "--phases",
        "fuzzing",
        "--continue-on-failure",
        "--no-color",
        "-H",
        f"Authorization: Bearer {EMULATOR_KEY}",
        "--request-timeout",
        "30",
        "--report",
        "ndjson",
        "--report-dir",
        str(report_dir),
    ]
    wall, peak, output = child(command)
    requests = 0
    for path in report_dir.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            requests += line.count('"request":')
    return {
        "name": "schemathesis run",
        "wall": wall,
        "requests": requests,
        "peak_kb": peak,
        "output": output[-400:],
    }


def show(row: dict[str, Any]) -> None:
    rps = row["requests"] / row["wall"] if row["wall"] else 0.0
    row["rps"] = rps
    print(
        f"{row['name']:44} wall {row['wall']:7.1f} s  requests {row['requests']:6}  {rps:7.1f} req/s  "
        f"peak {row['peak_kb'] / 1024:6.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--skip-schemathesis", action="store_true")
    args = parser.parse_args()
    spec = load()
    print(
        f"spec: {spec.title} {spec.version}, {len(spec.operations)} operations; "
        f"{args.examples} examples per operation, positive and negative; {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = [
            ours("emulator", args.examples, folder / "inproc"),
            ours("emulator-http", args.examples, folder / "http"),
        ]
        for row in rows:
            show(row)
        if not args.skip_schemathesis:
            spec_path = folder / "openapi.json"
            spec_path.write_text(json.dumps(spec.document))
            server = LocalServer(create_app(spec=spec))
            try:
                st = schemathesis(args.examples, spec_path, server.base_url, folder / "st")
            finally:
                server.close()
            show(st)
            if not st["requests"]:
                print("schemathesis output:", st["output"])
            for row in rows:
                if st.get("rps"):
                    print(
                        f"ratio {row['name']} / schemathesis: {row['rps'] / st['rps']:.2f}x requests per second, "
                        f"{st['wall'] / row['wall']:.2f}x faster wall time"
                    )


if __name__ == "__main__":
    main()
