"""results.json: the run as data, its shipped JSON Schema, and reading it back."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError
from conformance.results import RunResults
from conformance.spec.data import data_file

RESULTS_FILE = "results.json"


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema of results.json, shipped as `spec/schemas/results.schema.json`."""
    return json.loads(data_file("schemas", "results.schema.json").read_text("utf-8"))


@cache
def _validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(results_schema(), validate_formats=True)


def schema_errors(data: Any) -> list[str]:
    """Where `data` breaks the results schema (empty when it conforms)."""
    errors = [(list(map(str, e.instance_path)), e.message) for e in _validator().iter_errors(data)]
    return [f"{'/'.join(path) or '(root)'}: {message}" for path, message in sorted(errors)]


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def find_results(location: str | Path) -> Path:
    """A results.json from a file, a run folder, or a report folder (its `latest`)."""
    path = Path(location)
    candidates = [path, path / RESULTS_FILE, path / "latest" / RESULTS_FILE]
    pointer = path / "latest"
    if pointer.is_file():  # a `latest` pointer file where symlinks are not possible
        candidates.append(path / pointer.read_text("utf-8").strip() / RESULTS_FILE)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConformanceError(f"{location}: no {RESULTS_FILE} there (give a run folder or its results.json)")


def read_results(location: str | Path) -> RunResults:
    """Load a run; a missing, unreadable or malformed file is a usage error (exit 2)."""
    path = find_results(location)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConformanceError(f"{path}: not a readable results file ({exc})") from None
    errors = schema_errors(data)
    if errors:
        raise ConformanceError(f"{path}: not a results file of this tool ({errors[0]})")
    return RunResults.from_dict(data)
