"""Polling settings: defaults per target, environment overrides, and a bad value as one clear error."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conformance.errors import ConformanceError
from conformance.runner.config import RunConfig
from conformance.scenarios.flow import Polling, polling_for


def session(target: str = "emulator", polling: Polling | None = None) -> SimpleNamespace:
    return SimpleNamespace(config=RunConfig(target=target), polling=polling)


def test_defaults_wait_less_on_the_emulator(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_CONFORMANCE_POLL_INTERVAL", raising=False)
    monkeypatch.delenv("OPENAI_CONFORMANCE_POLL_TIMEOUT", raising=False)
    assert polling_for(session()).interval < polling_for(session("https://api.example.com/v1")).interval


def test_environment_overrides_and_explicit_settings_win(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_CONFORMANCE_POLL_INTERVAL", "2.5")
    monkeypatch.setenv("OPENAI_CONFORMANCE_POLL_TIMEOUT", "90")
    chosen = polling_for(session("https://api.example.com/v1"))
    assert (chosen.interval, chosen.timeout) == (2.5, 90.0)
    mine = Polling(interval=0.1)
    assert polling_for(session(polling=mine)) is mine


def test_a_bad_value_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_CONFORMANCE_POLL_TIMEOUT", "soon")
    with pytest.raises(ConformanceError, match="OPENAI_CONFORMANCE_POLL_TIMEOUT"):
        polling_for(session())
