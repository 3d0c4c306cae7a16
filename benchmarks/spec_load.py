"""Time to load, normalise and index a spec: cold (parse) and warm (cache), medians of N runs.

python benchmarks/spec_load.py [--spec SOURCE] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import conformance.spec as spec_module
from conformance.spec import DEFAULT_SOURCE, load


def timed(source: str, use_cache: bool) -> float:
    spec_module._loaded.clear()  # measure the load, not the in-process memo
    started = time.perf_counter()
    load(source, use_cache=use_cache)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", default=DEFAULT_SOURCE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        import os

        os.environ["OPENAI_CONFORMANCE_CACHE_DIR"] = cache
        cold = [timed(args.spec, use_cache=False) for _ in range(args.runs)]
        timed(args.spec, use_cache=True)  # fill the cache
        warm = [timed(args.spec, use_cache=True) for _ in range(args.runs)]
    spec = load(args.spec, use_cache=False)
    print(f"spec: {args.spec} ({len(spec.operations)} operations)")
    print(f"cold load (parse + normalise + overlay + index): median {statistics.median(cold):.3f} s")
    print(f"warm load (cached normalised document + index):  median {statistics.median(warm):.3f} s")
    print(
        f"cold/warm ratio: {statistics.median(cold) / statistics.median(warm):.1f}x  (target: cold < 1.5 s)"
    )


if __name__ == "__main__":
    main()
