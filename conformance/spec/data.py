"""The contract data that ships inside the wheel.

The repository keeps it in the top-level `spec/` folder; the package sees it as `conformance/data`
(a link to that folder), so installed copies and checkouts read it the same way and no generic
top-level `spec` package is ever importable.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from conformance.errors import DataError


def data_file(*parts: str) -> Traversable:
    """A file or folder of the packaged data, e.g. `data_file("overlays")`."""
    return files("conformance").joinpath("data", *parts)


@cache
def load_table(*parts: str) -> Any:
    """A packaged YAML table, parsed once per process (an empty file reads as {}; callers only read
    it); a broken one is a `DataError`, so a run never goes on without it (every finding it would
    explain would pass unjudged)."""
    name = "spec/" + "/".join(parts)
    try:
        return yaml.safe_load(data_file(*parts).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataError(f"{name} is not valid YAML{where}: {problem}") from None
    except OSError as exc:
        raise DataError(f"{name} cannot be read: {exc.strerror or exc}") from None


def check_tables() -> None:
    """Parse every packaged table now: a broken one stops the run before it starts (exit 2)."""
    for entry in data_file().iterdir():
        if entry.name.endswith((".yaml", ".yml")):
            load_table(entry.name)
