"""Property: random bodies, queries and path ids to every operation the core emulates never get
a 5xx, and every answer (errors included) validates against the spec (the self-check).

Bodies come from schemathesis' strategies over the real spec, in positive and negative mode; half
the time the path ids are replaced by ids of objects that exist, so handlers run past the 404.
`EMULATOR_FUZZ_EXAMPLES=50 pytest tests/emulator/test_core_fuzz.py` digs deeper than the default.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from starlette.testclient import TestClient

from conformance.emulator import create_app, registry
from conformance.spec import Spec, load
from tests.emulator.support import KEY

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXAMPLES = int(os.environ.get("EMULATOR_FUZZ_EXAMPLES", "4"))
CORE_MODULES = {
    f"conformance.emulator.endpoints.{name}"
    for name in ("assistants", "threads", "runs", "files", "uploads", "vector_stores")
}


def _core_operations() -> list[str]:
    """The spec's operations whose handler lives in a core module (load() is memoised)."""
    import conformance.emulator.endpoints  # noqa: F401

    in_spec = load().by_id
    return sorted(
        op
        for op, handler in registry.registered().items()
        if handler.__module__ in CORE_MODULES and op in in_spec
    )


@pytest.fixture(scope="module")
def st_schema(openai_spec: Spec) -> Any:
    return schemathesis.openapi.from_dict(openai_spec.document)


@pytest.fixture(scope="module")
def world(openai_spec: Spec) -> tuple[Any, TestClient, dict[str, str]]:
    """One app holding one object of every kind, for path ids that exist."""
    app = create_app(openai_spec, self_check=True)
    http = TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})
    file = http.post(
        "/files", data={"purpose": "assistants"}, files={"file": ("a.txt", b"hello world")}
    ).json()
    assistant = http.post("/assistants", json={"model": "gpt-4o"}).json()
    thread = http.post("/threads", json={"messages": [{"role": "user", "content": "hi"}]}).json()
    run = http.post(f"/threads/{thread['id']}/runs", json={"assistant_id": assistant["id"]}).json()
    steps = http.get(f"/threads/{thread['id']}/runs/{run['id']}/steps").json()["data"]
    message = http.get(f"/threads/{thread['id']}/messages").json()["data"][0]
    store = http.post("/vector_stores", json={"name": "s", "file_ids": [file["id"]]}).json()
    batch = http.post(f"/vector_stores/{store['id']}/file_batches", json={"file_ids": [file["id"]]}).json()
    upload = http.post(
        "/uploads", json={"bytes": 5, "filename": "u.txt", "mime_type": "text/plain", "purpose": "assistants"}
    ).json()
    ids = {
        "assistant_id": assistant["id"],
        "thread_id": thread["id"],
        "run_id": run["id"],
        "step_id": steps[0]["id"],
        "message_id": message["id"],
        "file_id": file["id"],
        "vector_store_id": store["id"],
        "batch_id": batch["id"],
        "upload_id": upload["id"],
    }
    yield app, http, ids
    app.state.store.close()


@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"]
)
@pytest.mark.parametrize("operation_id", _core_operations())
def test_no_5xx(st_schema: Any, world: Any, operation_id: str, mode: GenerationMode) -> None:
    app, http, ids = world
    operation = st_schema.find_operation_by_id(operation_id)

    @given(case=operation.as_strategy(generation_mode=mode), real_ids=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, real_ids: bool) -> None:
        if real_ids and case.path_parameters:
            case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
        kwargs = case.as_transport_kwargs(base_url="http://testserver/v1")
        headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {KEY}"
        sent = {k: v for k, v in kwargs.items() if k in ("params", "json", "content", "data", "files")}
        before = len(app.state.self_check)
        response = http.request(kwargs["method"], kwargs["url"], headers=headers, **sent)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
        if response.status_code >= 400:
            error = response.json()["error"]
            assert isinstance(error["message"], str) and error["message"]
        assert app.state.self_check[before:] == []

    check()
