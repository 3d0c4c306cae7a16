"""Replay: judge recorded exchanges against a spec, with no network.

The same `Observer` judges live traffic, so a replay against the spec the proxy used reports the
same violations as the live run, and a replay against a newer spec shows what it would change.
Recordings in every format `readers` knows are judged alike; a directory stands for every
recording below it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from conformance.errors import ConformanceError
from conformance.proxy.observer import Observer, Printer, stderr_printer
from conformance.proxy.provenance import Provenance, scrubbed_headers
from conformance.proxy.readers import (
    DEFAULT_BASE_URL,
    NotARecording,
    Recording,
    read_recording,
    recording_files,
)
from conformance.results import RunResults
from conformance.spec import Spec


def read_all(paths: Iterable[Path | str], base_url: str, provenance: Provenance) -> list[Recording]:
    """Every recording the paths name, read before anything is judged so a bad file stops the replay
    early; files below a directory that are no recording are noted in `provenance` and skipped."""
    recordings: list[Recording] = []
    for path, named in recording_files(paths):
        try:
            recordings.append(read_recording(path, base_url))
        except NotARecording:
            if named:
                raise
            provenance.ignore(path)
    if not recordings:
        given = ", ".join(str(p) for p in paths)
        raise ConformanceError(f"no recording found in {given} (JSONL cassettes, VCR YAML or HAR files)")
    return recordings


def replay(
    paths: Path | str | Iterable[Path | str],
    spec: Spec,
    printer: Printer | None = stderr_printer,
    strict_spec: bool = False,
    base_url: str = DEFAULT_BASE_URL,
    skip_checks: Iterable[str] = (),
) -> Observer:
    """Judge every exchange of the recordings; the observer holds the results (call `finish()`)."""
    given = [paths] if isinstance(paths, str | Path) else list(paths)
    provenance = Provenance(base_url)
    recordings = read_all(given, base_url, provenance)
    header = (recordings[0].header or {}) if len(recordings) == 1 else {}
    options = {
        "mode": "replay",
        "strict_spec": strict_spec,
        "base_url": base_url,
        "recordings": [str(p) for p in given],
        "recorded_with": header.get("spec"),
        "skip_checks": list(skip_checks),
    }
    if len(given) == 1:
        options["cassette"] = str(given[0])
    target = header.get("upstream") or base_url
    if len(recordings) == 1 and recordings[0].format == "jsonl" and not header.get("upstream"):
        target = f"cassette:{recordings[0].path.name}"
    results = RunResults(spec=spec.describe(), target=str(target), options=options)
    observer = Observer(spec, results, printer, strict_spec=strict_spec, skip_checks=tuple(skip_checks))
    config = observer.check_config
    for recording in recordings:
        scrubbed = scrubbed_headers(recording, spec, config.required_headers)
        observer.check_config = dataclasses.replace(config, scrubbed_headers=scrubbed)
        for record in recording.records:
            try:
                observer.observe(record)
            except Exception as exc:  # a crashing check is reported, the replay goes on
                observer.note_internal_error(record, exc)
        provenance.add(recording, scrubbed)
    results.recordings = provenance.to_dict()
    return observer
