"""A run the suite could not judge never passes: broken packaged tables stop it (exit 2), an operation-phase
that errors makes it exit 5."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import spec as spec_module
from conformance.cli import main
from conformance.errors import EXIT_SUITE_ERROR, EXIT_USAGE
from conformance.runner.plugin import Plugin
from conformance.runner.session import Session
from conformance.spec import data, deviations
from tests.runner.support import read_results

RUN = ["run", "--include", "listModels", "--phases", "examples,positive,negative", "--max-examples", "1"]


@pytest.fixture
def tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the packaged tables the loader reads instead (the caches cleared on both sides)."""
    copy = tmp_path / "data"
    shutil.copytree(Path(str(data.data_file())), copy)
    monkeypatch.setattr(data, "data_file", lambda *parts: copy.joinpath(*parts))
    spec_module.check_tables.cache_clear()
    deviations.table.cache_clear()
    data.load_table.cache_clear()
    yield copy
    spec_module.check_tables.cache_clear()
    deviations.table.cache_clear()
    data.load_table.cache_clear()


def test_a_deviations_table_that_does_not_parse_is_one_line_and_exit_2(
    tables: Path, tmp_path, capsys
) -> None:
    path = tables / "deviations.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines) if text.startswith("deviations:"))
    lines[line] += " [unclosed"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main([*RUN, "--report-dir", str(tmp_path / "r")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "spec/deviations.yaml is not valid YAML at line " in err and ", column " in err
    assert int(err.split(" at line ")[1].split(",")[0]) in range(line + 1, line + 4)  # where it broke
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not (tmp_path / "r").exists()  # stopped before anything ran: nothing judged without the table
    # replay judges with the same table: the same line
    assert main(["replay", str(tmp_path)]) == EXIT_USAGE
    assert "spec/deviations.yaml is not valid YAML" in capsys.readouterr().err


def test_a_deviation_without_a_field_names_the_entry(tables: Path, tmp_path, capsys) -> None:
    path = tables / "deviations.yaml"
    first = deviations.table.__wrapped__()[0].id
    path.write_text(path.read_text(encoding="utf-8").replace("  real_api:", "  said:", 1), encoding="utf-8")
    data.load_table.cache_clear()  # read above, before the edit
    assert main([*RUN, "--report-dir", str(tmp_path)]) == EXIT_USAGE
    assert f"spec/deviations.yaml, entry 1 ({first}): lacks 'real_api'" in capsys.readouterr().err


def test_a_phase_that_errors_makes_the_run_exit_5(tmp_path, capsys, monkeypatch) -> None:
    def broken(self, operation, phase) -> None:
        raise RuntimeError("a bug in a strategy")

    monkeypatch.setattr(Session, "_phase_positive", broken)
    assert main([*RUN, "--report-dir", str(tmp_path)]) == EXIT_SUITE_ERROR
    outcomes = {r["phase"]: r for r in read_results(tmp_path)["operations"]}
    assert outcomes["positive"]["outcome"] == "error"
    assert outcomes["positive"]["reason"] == "RuntimeError: a bug in a strategy"
    assert outcomes["examples"]["outcome"] == "passed"
    out = capsys.readouterr().out
    assert "exit code 5" in out
    assert (
        "1 operation-phase the suite could not judge (outcome error, exit 5), first listModels (positive)"
        in out
    )
    assert "INCOMPLETE: the suite failed" in (tmp_path / "latest" / "summary.md").read_text(encoding="utf-8")


def test_items_whose_set_up_fails_are_errors_not_skips(tmp_path, capsys, monkeypatch) -> None:
    opened = Plugin.open

    def open_then_fail(self: Plugin):
        opened(self)
        raise RuntimeError("the fixture broke")

    monkeypatch.setattr(Plugin, "open", open_then_fail)
    assert main([*RUN, "--report-dir", str(tmp_path)]) == EXIT_SUITE_ERROR
    results = read_results(tmp_path)
    assert results["exit_code"] == EXIT_SUITE_ERROR
    assert {(r["phase"], r["outcome"]) for r in results["operations"]} == {
        ("examples", "error"),
        ("positive", "error"),
        ("negative", "error"),
    }
    assert all(r["reason"] == "set-up failed: RuntimeError: the fixture broke" for r in results["operations"])
