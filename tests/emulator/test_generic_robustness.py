"""No 5xx: random valid and invalid requests (the `strategies` package) to every operation of the spec
get an answer below 500, and every error is the OpenAI envelope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from conformance import strategies
from conformance.emulator import create_app
from conformance.exchange import Request
from conformance.spec import Spec
from tests.emulator.support import KEY

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FUZZ = settings(
    max_examples=250,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzz_client(openai_spec: Spec) -> TestClient:
    app = create_app(openai_spec)
    return TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})


def send(client: TestClient, request: Request) -> Any:
    kwargs: dict[str, Any] = {"params": request.query, "headers": dict(request.headers)}
    if request.content is not None:
        kwargs["content"] = request.content
        if request.media_type:
            kwargs["headers"]["content-type"] = request.media_type
    elif request.files is not None or request.media_type == "multipart/form-data":
        fields = request.body if isinstance(request.body, dict) else {}
        kwargs["data"] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        kwargs["files"] = request.files or {}
    elif request.media_type == "application/x-www-form-urlencoded":
        kwargs["data"] = request.body
    elif request.body is not None:
        kwargs["json"] = request.body
    return client.request(request.method, request.path, **kwargs)


def _check(client: TestClient, request: Request) -> None:
    answer = send(client, request)
    assert answer.status_code < 500, f"{request.describe()} -> {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}, answer.text[:300]


def _requests(spec: Spec, mode: str) -> st.SearchStrategy[Request]:
    return st.sampled_from(spec.operations).flatmap(lambda op: strategies.requests(op, mode, spec=spec))


def test_random_valid_requests_never_get_a_5xx(openai_spec: Spec, fuzz_client: TestClient) -> None:
    @FUZZ
    @given(_requests(openai_spec, "positive"))
    def run(request: Request) -> None:
        _check(fuzz_client, request)

    run()


def test_random_invalid_requests_never_get_a_5xx(openai_spec: Spec, fuzz_client: TestClient) -> None:
    @FUZZ
    @given(_requests(openai_spec, "negative"))
    def run(request: Request) -> None:
        _check(fuzz_client, request)

    run()
