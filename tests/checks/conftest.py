from __future__ import annotations

import pytest

from conformance.checks import Violation, run_checks
from conformance.exchange import Exchange
from conformance.spec import Spec


@pytest.fixture
def judge(openai_spec: Spec):
    """Run checks on an exchange against the real spec; returns the violations."""

    def run(exchange: Exchange, checks: list[str] | None = None, **config) -> list[Violation]:
        from conformance.checks import CheckConfig

        return run_checks(
            exchange, openai_spec, checks=checks, config=CheckConfig(**config) if config else None
        )

    return run
