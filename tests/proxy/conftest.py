from __future__ import annotations

import pytest

from conformance.spec import Spec


@pytest.fixture(scope="session")
def spec(openai_spec: Spec) -> Spec:
    return openai_spec
