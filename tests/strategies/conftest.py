"""Shared fixtures: one loaded spec and one generator per spec for the whole session."""

from __future__ import annotations

import pytest

from conformance import strategies
from conformance.spec import Spec


@pytest.fixture(scope="session")
def spec(openai_spec: Spec) -> Spec:
    """The default spec, shared with the other areas' tests (tests/conftest.py)."""
    return openai_spec


@pytest.fixture(scope="session")
def generator(spec: Spec) -> strategies.Generator:
    return strategies.generator_for(spec)
