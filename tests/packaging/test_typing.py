"""The public modules type-check: mypy over `[tool.mypy] files`, as `nox -s typecheck` and CI run it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

import pytest

from conformance import kinds
from conformance.checks import CHECKS

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


def test_every_check_declares_a_family_and_severity_of_the_vocabulary() -> None:
    assert CHECKS
    for check in CHECKS.values():
        assert check.family in get_args(kinds.Family), check.id
        assert check.severity in get_args(kinds.Severity), check.id
