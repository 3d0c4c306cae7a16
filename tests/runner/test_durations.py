"""Each operation × phase result carries the time it took, so junit.xml's `time` is real, not 0.000."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.reports import write_reports
from conformance.runner.config import resolve
from conformance.runner.session import Session


def test_a_run_measures_each_result_and_junit_carries_it(openai_spec, tmp_path) -> None:
    config = resolve({"target": "emulator", "max_examples": "3"}, environ={}, pyproject=False)
    session = Session(config, openai_spec)
    try:
        ran = [session.run(op_id, "positive") for op_id in ("listModels", "createEmbedding")]
    finally:
        session.close()
    assert all(r.outcome == "passed" and r.duration > 0 for r in ran), [(r.outcome, r.duration) for r in ran]
    root = ET.parse(write_reports(session.results, tmp_path) / "junit.xml").getroot()
    times = {c.get("name"): float(c.get("time")) for c in root.iter("testcase")}
    assert any(t > 0 for t in times.values()), times
    assert float(root.find("testsuite").get("time")) > 0
