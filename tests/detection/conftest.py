from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.emulator.fault_middleware import Fault
from conformance.spec import Spec
from tests.detection.support import MAX_EXAMPLES, Detection, detect


@pytest.fixture(scope="session")
def run_detection(openai_spec: Spec) -> Callable[..., Detection]:
    def run(faults: list[str], item: Fault, examples: int = MAX_EXAMPLES) -> Detection:
        return detect(openai_spec, faults, item, examples)

    return run
