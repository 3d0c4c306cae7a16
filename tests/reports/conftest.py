"""Fixtures of the report tests (helpers live in report_fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.results import RunResults
from conformance.spec import Spec
from tests.reports.report_fixtures import PLANTED_KEY, build_run


@pytest.fixture
def make_run(openai_spec: Spec) -> Callable[..., RunResults]:
    return lambda *args, **kwargs: build_run(openai_spec, *args, **kwargs)


@pytest.fixture
def planted_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key in OPENAI_API_KEY and a custom secret variable, as a CI job would have them."""
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED_KEY)
    monkeypatch.setenv("CUSTOM_UPSTREAM_TOKEN", "tok-PLANTEDcustom-42")
