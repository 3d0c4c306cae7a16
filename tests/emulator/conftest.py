"""Fixtures for the emulator's tests: the app in-process, the real `openai` SDK pointed at it,
and the self-check: every response a test produces must validate against the spec."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conformance.emulator import create_app
from conformance.spec import Spec

KEY = "sk-test-emulator"


class Clock:
    """A clock tests move by hand, so expiry and delays need no sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def make_app(openai_spec: Spec) -> Iterator[Callable[..., Starlette]]:
    """Build emulator apps with settings; each one's self-check must stay clean."""
    apps: list[Starlette] = []

    def make(**settings: Any) -> Starlette:
        settings.setdefault("self_check", True)
        app = create_app(openai_spec, **settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.store.close()
        problems = app.state.self_check
        assert not problems, "responses that do not validate against the spec:\n" + "\n".join(problems[:20])


@pytest.fixture
def app(make_app: Callable[..., Starlette]) -> Starlette:
    return make_app()


def sdk(app: Starlette, key: str = KEY) -> openai.OpenAI:
    """The official SDK, in-process (starlette's TestClient is an httpx.Client)."""
    return openai.OpenAI(
        base_url="http://testserver/v1", api_key=key, http_client=TestClient(app), max_retries=0
    )


@pytest.fixture
def client(app: Starlette) -> openai.OpenAI:
    return sdk(app)


@pytest.fixture
def http(app: Starlette) -> TestClient:
    """Raw HTTP with a valid key, for what the SDK would never send."""
    return TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})


def assert_error(response: Any, status: int, param: str | None = "any", code: str | None = "any") -> dict:
    """The OpenAI error envelope, with the given status (and param/code when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str)
    if param != "any":
        assert error["param"] == param, error
    if code != "any":
        assert error["code"] == code, error
    return error
