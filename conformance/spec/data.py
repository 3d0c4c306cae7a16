"""The contract data that ships inside the wheel.

The repository keeps it in the top-level `spec/` folder; the package sees it as `conformance/data`
(a link to that folder), so installed copies and checkouts read it the same way and no generic
top-level `spec` package is ever importable.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml


def data_file(*parts: str) -> Traversable:
    """A file or folder of the packaged data, e.g. `data_file("overlays")`."""
    return files("conformance").joinpath("data", *parts)


def load_table(*parts: str) -> Any:
    """A packaged YAML table, parsed (an empty file reads as {})."""
    return yaml.safe_load(data_file(*parts).read_text(encoding="utf-8")) or {}
