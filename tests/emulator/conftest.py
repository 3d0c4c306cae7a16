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
from tests.emulator.support import KEY, sdk


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


@pytest.fixture
def client(app: Starlette) -> openai.OpenAI:
    return sdk(app)


@pytest.fixture
def http(app: Starlette) -> TestClient:
    """Raw HTTP with a valid key, for what the SDK would never send."""
    return TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})
