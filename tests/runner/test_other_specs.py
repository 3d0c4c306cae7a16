"""Runs on other real versions of the official spec: everything follows the loaded spec.

The emulator serves the spec the run loads, so a run on an older or newer spec must conform as
well as one on the default: any violation is the suite's own (a value, field or behaviour taken
from another spec).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main
from conformance.errors import SpecError
from conformance.spec import load
from conformance.strategies import generator_for
from tests.runner.support import read_results
from tests.spec_paths import SHARED_SPECS

SPECS = ("openai-openapi-a173760.yaml", "openai-openapi-498c71d.yaml", "openai-openapi-f85dbe2.json")
needs_shared = pytest.mark.skipif(not SHARED_SPECS.is_dir(), reason=f"{SHARED_SPECS} is absent")


@needs_shared
@pytest.mark.parametrize("name", SPECS)
def test_a_run_on_another_spec_conforms(name: str, tmp_path: Path, capsys) -> None:
    path = SHARED_SPECS / name
    code = main(["run", "--spec", str(path), "--max-examples", "1", "--report-dir", str(tmp_path)])
    out = capsys.readouterr().out
    results = read_results(tmp_path)
    bad = [
        (r["phase"], r["operation_id"], r["reason"] or [v["message"] for v in r["violations"]])
        for r in results["operations"]
        if r["outcome"] not in ("passed", "skipped")
    ]
    assert code == 0 and not bad, bad or out
    spec = load(str(path))
    assert results["spec"]["sha256"] == spec.source.sha256
    run_ids = {r["operation_id"] for r in results["operations"]}
    assert run_ids == {op.id for op in spec.operations}


@needs_shared
def test_an_operation_of_another_spec_is_refused_not_drawn_from_this_one(openai_spec) -> None:
    older = load(str(SHARED_SPECS / "openai-openapi-a173760.yaml"))
    with pytest.raises(SpecError, match="is not from spec"):
        generator_for(openai_spec).positive(older.operation("createAssistant"))


@needs_shared
def test_a_path_parameter_named_unlike_its_placeholder_is_renamed() -> None:
    spec = load(str(SHARED_SPECS / "openai-openapi-498c71d.yaml"))
    # the spec declares `cert_id` for `/organization/certificates/{certificate_id}`
    op = spec.operation("getCertificate")
    assert [p.name for p in op.parameters if p.location == "path"] == ["certificate_id"]
    assert any(n.name == "path-parameter-name" for n in spec.normalisations)
