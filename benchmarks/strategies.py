"""Strategy benchmark: build time for every operation, and draws per second per operation.

    python benchmarks/strategies.py                   # default spec, 200 draws, every 5th operation
    python benchmarks/strategies.py --every 1 --mode negative --spec ../shared/specs/x.json
    python benchmarks/strategies.py --sweep           # also validate every draw (the acceptance sweep)

Prints figures, asserts nothing: the machine's load decides the numbers. Targets: build < 3 s,
>= 300 draws/s on the median operation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

# This file is named like the package it measures: keep its own folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from conformance.spec import load  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="openai")
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--every", type=int, default=5, help="time every Nth operation (1 = all)")
    parser.add_argument("--mode", choices=["positive", "negative", "both"], default="positive")
    parser.add_argument("--sweep", action="store_true", help="validate every draw; count invalid ones")
    parser.add_argument(
        "--baseline", action="store_true", help="also time schemathesis' own positive strategy (the ratio)"
    )
    args = parser.parse_args(argv)

    spec = load(args.spec)
    started = time.perf_counter()
    from conformance import strategies  # noqa: PLC0415 - the import (schemathesis, hypothesis) is part of a cold start

    imported = time.perf_counter()
    generator = strategies.generator_for(spec)
    modes = ["positive", "negative"] if args.mode == "both" else [args.mode]
    built = {(op.id, mode): _strategy(generator, op, mode) for op in spec.operations for mode in modes}
    _ = generator.validator
    done = time.perf_counter()
    print(f"spec: {spec.source.name} ({len(spec.operations)} operations)")
    print(f"import: {imported - started:.2f} s")
    print(f"build (generator + validator + {len(built)} strategies): {done - imported:.2f} s")

    rates: dict[str, list[float]] = {m: [] for m in modes}
    ratios: list[float] = []
    bad: Counter = Counter()
    slowest: list[tuple[float, str]] = []
    for op in spec.operations[:: args.every]:
        for mode in modes:
            strategy = built[(op.id, mode)]
            if strategy is None:
                continue
            count = _time_draws(generator, strategies, op, mode, strategy, args, bad)

            drawn, elapsed = count
            rate = drawn / elapsed if elapsed else float("inf")
            rates[mode].append(rate)
            slowest.append((rate, f"{mode} {op.id}"))
            if args.baseline and mode == "positive":
                raw = _schemathesis_strategy(generator, op)
                drawn, elapsed = _time_draws(generator, strategies, op, "raw", raw, args, Counter())
                ratios.append(rate / (drawn / elapsed))
    for mode, values in rates.items():
        if values:
            print(
                f"{mode}: {len(values)} operations x {args.draws} draws: median {statistics.median(values):.0f} "
                f"draws/s (p10 {_quantile(values, 0.1):.0f}, p90 {_quantile(values, 0.9):.0f})"
            )
    stats = generator.stats
    print(
        f"positive draws: {stats['drawn']}, realistic pass undone: {stats['fallback']}, "
        f"schemathesis draws rejected as invalid: {stats['rejected']}"
    )
    if ratios:
        print(
            f"positive vs schemathesis' as_strategy on the same operations: median ratio {statistics.median(ratios):.2f}"
        )
    print("slowest:", ", ".join(f"{name} {rate:.0f}/s" for rate, name in sorted(slowest)[:5]))
    if args.sweep:
        print(f"sweep: {sum(bad.values())} bad draws in {len(bad)} operation/mode pairs")
        for (op_id, mode), n in sorted(bad.items()):
            print(f"  {mode} {op_id}: {n}")
    return 0


def _time_draws(generator, strategies, op, mode, strategy, args, bad) -> tuple[int, float]:
    count = [0]

    @settings(
        max_examples=args.draws,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(request) -> None:
        count[0] += 1
        if args.sweep and mode != "raw":
            violations = generator.validator.validate(op, request)
            ok = not violations if mode == "positive" else strategies.explains(violations, request.breaks)
            if not ok:
                bad[(op.id, mode)] += 1

    started = time.perf_counter()
    draw()
    return count[0], time.perf_counter() - started


def _schemathesis_strategy(generator, op):
    from schemathesis.generation import GenerationMode  # noqa: PLC0415

    return generator._operations[(op.method, op.path)].as_strategy(generation_mode=GenerationMode.POSITIVE)


def _strategy(generator, op, mode):
    if mode == "negative" and not generator.breakable(op):
        return None
    return generator.positive(op) if mode == "positive" else generator.negative(op)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    sys.exit(main())
