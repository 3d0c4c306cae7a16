"""Detection power: each catalogued fault, injected into the emulator, is reported by its check.

Each fault runs the suite's phases (through the runner's `Session`) on the few operations it touches;
the clean emulator, run the same way, must not report the fault's check (so it is the fault that
the suite detects) and, over every operation of the catalogue, must report nothing at all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from conformance.checks import CHECKS, FAMILIES
from conformance.emulator import create_app
from conformance.emulator.faults import FAULTS, resolve
from conformance.errors import EXIT_USAGE, ConformanceError
from conformance.scenarios import registered
from tests.detection.support import ORDER
from tests.spec_paths import REPO

SCENARIOS = registered()  # also registers the scenarios' lifecycle checks in CHECKS


def test_catalogue_covers_every_family_with_known_checks(openai_spec) -> None:
    assert len(FAULTS) >= 25
    assert {f.family for f in FAULTS.values()} == set(FAMILIES)
    for item in FAULTS.values():
        assert item.check in CHECKS, item.name
        assert item.description and item.operations and set(item.phases) <= set(ORDER), item.name
        assert all(op in openai_spec.by_id for op in item.operations), item.name
        assert ("scenarios" in item.phases) == bool(item.scenarios), item.name
        assert all(SCENARIOS[name][0] in item.operations for name in item.scenarios), item.name
        assert (item.before is None) != (item.after is None), item.name


def test_documented_catalogue_matches_the_code() -> None:
    rows = [line for line in (REPO / "docs" / "faults.md").read_text().splitlines() if line.startswith("| `")]
    documented = {line.split("`")[1]: line for line in rows}
    assert set(documented) == set(FAULTS)
    for item in FAULTS.values():
        assert f"`{item.check}`" in documented[item.name] and item.family in documented[item.name]


def test_unknown_fault_is_a_usage_error(openai_spec) -> None:
    with pytest.raises(ConformanceError) as caught:
        create_app(openai_spec, faults=["no-such-fault"])
    assert caught.value.exit_code == EXIT_USAGE
    assert "no-such-fault" in str(caught.value) and "stream-without-done" in str(caught.value)
    assert [f.name for f in resolve(["limit-ignored", "limit-ignored"])] == ["limit-ignored"]


@pytest.fixture(scope="module")
def clean(run_detection) -> dict[tuple[Any, ...], Any]:
    """The fault-free emulator, run once per distinct (operations, phases, scenarios) of the catalogue."""
    runs: dict[tuple[Any, ...], Any] = {}
    for item in FAULTS.values():
        key = (item.operations, item.phases, item.scenarios)
        if key not in runs:
            runs[key] = run_detection([], item)
    return runs


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_is_detected_by_its_check(name: str, run_detection, clean) -> None:
    item = FAULTS[name]
    faulty = run_detection([name], item)
    assert item.check in faulty.checks, f"{name}: found only {sorted(faulty.checks)}"
    caught = [v for v in faulty.violations if v["check"] == item.check]
    assert all(v["message"] and v["request"] and v["family"] for v in caught)
    baseline = clean[(item.operations, item.phases, item.scenarios)]
    assert item.check not in baseline.checks, f"the clean emulator also fails {item.check}"


def test_two_faults_at_once_are_both_detected(run_detection) -> None:
    item = FAULTS["stream-without-done"]
    found = run_detection(["stream-without-done", "usage-mismatch"], item)
    assert {"sse.stream", "object.invariants"} <= found.checks


def test_clean_emulator_reports_no_violation(clean) -> None:
    found = {
        (v["operation_id"], v["phase"] if "phase" in v else "", v["check"], v["message"])
        for run in clean.values()
        for v in run.violations
    }
    assert not found, sorted(found)


@pytest.mark.parametrize("phases", [("stateful",), ("scenarios",)], ids=["stateful-phase", "crud-scenario"])
@pytest.mark.parametrize("name", ["lost-update", "deleted-still-retrievable"])
def test_both_crud_testers_judge_read_your_writes(name: str, phases: tuple[str, ...], run_detection) -> None:
    """The session's stateful phase and the model-based scenario share one oracle (checks.crud): each
    alone reports a lost update and a deleted object that can still be read."""
    item = FAULTS[name]
    crud = FAULTS["lost-update"].operations  # every operation the assistants CRUD family touches
    scenarios = ("crud-assistants",) if phases == ("scenarios",) else ()
    only = replace(item, operations=crud, phases=phases, scenarios=scenarios)
    assert item.check in run_detection([name], only).checks
    assert item.check not in run_detection([], only).checks
