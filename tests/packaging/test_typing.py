"""The public modules type-check: mypy over `[tool.mypy] files`, as `nox -s typecheck` and CI run it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_public_modules_type_check(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    cwd = os.getcwd()
    os.chdir(ROOT)  # mypy reads [tool.mypy] from the working directory's pyproject.toml
    try:
        out, err, status = api.run(["--cache-dir", str(tmp_path / "cache")])
    finally:
        os.chdir(cwd)
    assert status == 0, out + err
