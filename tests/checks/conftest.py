from __future__ import annotations

import pytest

from conformance.checks import Violation, run_checks
from conformance.exchange import Exchange
from conformance.spec import Spec


@pytest.fixture
def judge(openai_spec: Spec):
    """Run checks on an exchange against the real spec; returns the violations that fail (known
    deviations of the real API, `spec/deviations.yaml`, are left out unless strict_spec=True)."""

    def run(exchange: Exchange, checks: list[str] | None = None, **config) -> list[Violation]:
        from conformance.checks import CheckConfig

        found = run_checks(
            exchange, openai_spec, checks=checks, config=CheckConfig(**config) if config else None
        )
        return [v for v in found if not v.known_deviation]

    return run
