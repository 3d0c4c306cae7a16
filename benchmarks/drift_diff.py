"""Time `spec diff`: the default spec against itself, and between the published versions in
../shared/specs when present. Specs are loaded once; the figures are the comparison alone.

python benchmarks/drift_diff.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from conformance.spec import Spec, load
from conformance.spec.drift import diff_specs

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "specs"
PAIRS = [
    ("openai-openapi-a173760.yaml", "openai-openapi-498c71d.yaml"),
    ("openai-openapi-498c71d.yaml", "openai-openapi-f85dbe2.json"),
    ("openai-openapi-f85dbe2.json", "openai"),
]


def median_seconds(old: Spec, new: Spec, runs: int) -> tuple[float, int, int]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = diff_specs(old, new)
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(result.breaking), len(result.non_breaking)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    default = load()
    seconds, _, _ = median_seconds(default, default, args.runs)
    print(
        f"default spec against itself ({len(default.operations)} operations): median {seconds * 1000:.1f} ms"
    )
    if not SHARED.exists():
        print(f"{SHARED} is absent: version pairs skipped")
        return
    for old_name, new_name in PAIRS:
        old = load(str(SHARED / old_name))
        new = load(new_name if new_name == "openai" else str(SHARED / new_name))
        seconds, breaking, other = median_seconds(old, new, args.runs)
        print(
            f"{old_name} ({len(old.operations)} ops) -> {new_name} ({len(new.operations)} ops): "
            f"median {seconds * 1000:.1f} ms, {breaking} breaking, {other} non-breaking"
        )


if __name__ == "__main__":
    main()
