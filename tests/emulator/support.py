"""Helpers the tests of tests/emulator share; fixtures live in conftest.py."""

from __future__ import annotations

from typing import Any

import openai
from starlette.applications import Starlette
from starlette.testclient import TestClient

KEY = "sk-test-emulator"


class Clock:
    """A clock tests move by hand, so expiry and delays need no sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def sdk(app: Starlette, key: str = KEY) -> openai.OpenAI:
    """The official SDK, in-process (starlette's TestClient is an httpx.Client)."""
    return openai.OpenAI(
        base_url="http://testserver/v1", api_key=key, http_client=TestClient(app), max_retries=0
    )


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
