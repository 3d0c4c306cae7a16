"""Replay: judge a recorded cassette against a spec, with no network.

The same `Observer` judges live traffic, so a replay against the spec the proxy used reports the
same violations as the live run, and a replay against a newer spec shows what it would change.
"""

from __future__ import annotations

from pathlib import Path

from conformance.proxy.cassette import read_cassette, read_header
from conformance.proxy.observer import Observer, Printer, stderr_printer
from conformance.results import RunResults
from conformance.spec import Spec


def replay(
    path: Path | str, spec: Spec, printer: Printer | None = stderr_printer, strict_spec: bool = False
) -> Observer:
    """Judge every exchange of a cassette; the observer holds the results (call `finish()`)."""
    header = read_header(path) or {}
    results = RunResults(
        spec=spec.describe(),
        target=str(header.get("upstream") or f"cassette:{Path(path).name}"),
        options={
            "mode": "replay",
            "strict_spec": strict_spec,
            "cassette": str(path),
            "recorded_with": header.get("spec"),
        },
    )
    observer = Observer(spec, results, printer, strict_spec=strict_spec)
    for record in read_cassette(path):
        try:
            observer.observe(record)
        except Exception as exc:  # a crashing check is reported, the replay goes on
            observer.note_internal_error(record, exc)
    return observer
