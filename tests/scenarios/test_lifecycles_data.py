"""`spec/lifecycles.yaml` agrees with the REAL spec: every status enum, field and cancel operation."""

from __future__ import annotations

import pytest

from conformance.checks.lifecycle import machines
from conformance.spec import Spec, schema_properties

SCHEMAS = {
    "thread.run": "RunObject",
    "thread.run.step": "RunStepObject",
    "thread.message": "MessageObject",
    "batch": "Batch",
    "vector_store.file": "VectorStoreFileObject",
    "vector_store.file_batch": "VectorStoreFileBatchObject",
    "fine_tuning.job": "FineTuningJob",
    "upload": "Upload",
    "response": "Response",
}


def test_every_required_lifecycle_is_described() -> None:
    assert set(SCHEMAS) <= set(machines())
    assert machines()["vector_store.files_batch"] is machines()["vector_store.file_batch"]


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_machine_matches_the_spec(kind: str, openai_spec: Spec) -> None:
    machine = machines()[kind]
    schema = openai_spec.document["components"]["schemas"][SCHEMAS[kind]]
    properties = schema_properties(openai_spec.document, schema)
    enum = openai_spec.resolve(properties["status"]).get("enum")
    assert set(machine.states) == set(enum), f"{kind}: states differ from {SCHEMAS[kind]}.status"
    assert machine.initial <= machine.states and machine.terminal <= machine.states
    for source, targets in machine.transitions.items():
        assert source in machine.states and targets <= machine.states, source
        assert source not in machine.terminal, f"{kind}: terminal {source} has transitions"
    for state in machine.active():
        assert machine.reachable(state) & machine.terminal, f"{kind}: {state} can never finish"
    for name, rule in machine.fields.items():
        assert name in properties, f"{kind}: {name} is not a field of {SCHEMAS[kind]}"
        assert rule.set <= machine.states and rule.unset <= machine.states and not rule.set & rule.unset
    if machine.cancel is not None:
        op = openai_spec.operation(machine.cancel.operation)
        assert op.method == "POST" and op.path.endswith("/cancel")
        assert machine.cancel.to <= machine.states
        assert all(400 <= s < 500 for s in machine.cancel.error_statuses)
