"""The wheel ships one importable package, `conformance`, with the data and strategies inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("*.whl")
    return zipfile.ZipFile(path)


def test_only_conformance_is_importable_from_the_wheel(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"conformance"}


def test_the_data_and_strategies_are_inside_the_package(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    data = {n for n in names if n.startswith("conformance/data/")}
    assert "conformance/data/__init__.py" not in names  # data, not a package
    assert {
        p.relative_to(ROOT).as_posix().replace("spec/", "conformance/data/", 1) for p in _files("spec")
    } == data
    assert {"conformance/strategies/__init__.py", "conformance/strategies/generator.py"} <= names
    assert "conformance/py.typed" in names  # type checkers read the package's annotations


def test_the_installed_data_reads_through_importlib_resources() -> None:
    from conformance.spec.data import data_file

    assert data_file("profiles").is_dir()
    assert any(p.name.endswith(".yaml") for p in data_file("profiles").iterdir())


def test_no_generic_spec_or_strategies_module_is_importable(tmp_path: Path) -> None:
    # from a directory that is neither the repository nor holds such modules
    code = "import importlib.util as u; print(u.find_spec('spec'), u.find_spec('strategies'))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["None", "None"]


def _files(folder: str) -> list[Path]:
    return [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
