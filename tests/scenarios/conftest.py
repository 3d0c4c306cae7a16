"""Fixtures: runner sessions against the emulator, and faulty emulators that break one contract."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.emulator import create_app
from conformance.runner.config import RunConfig
from conformance.runner.session import Session
from conformance.scenarios.flow import Polling
from conformance.spec import Spec
from tests.scenarios.support import FAST, Rewriter, Rule


@pytest.fixture
def make_session(openai_spec: Spec) -> Iterator[Callable[..., Session]]:
    """A runner Session on the in-process emulator (or the app given), closed after the test."""
    sessions: list[Session] = []

    def make(
        app: Any = None,
        *,
        run_delay: float = 0.0,
        rule: Rule | None = None,
        polling: Polling | None = FAST,
        **options: Any,
    ) -> Session:
        if app is None:
            app = create_app(openai_spec, run_delay=run_delay, file_delay=run_delay)
        if rule is not None:
            app = Rewriter(app, rule)
        config = RunConfig(**{"target": "emulator", "phases": ["scenarios"], **options})
        session = Session(config, openai_spec, app=app)
        session.app = app  # type: ignore[attr-defined]
        if polling is not None:
            session.polling = polling  # type: ignore[attr-defined]
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
