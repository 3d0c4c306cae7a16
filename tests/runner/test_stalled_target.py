"""A stateful target whose runs never leave `queued` (openai-responses does that): the run does not wait
out its polling ceiling. The first wait ends after the stall time with one finding, every later wait
for a queued run is skipped after one read with the reason, and the wait is visible meanwhile."""

from __future__ import annotations

import time

from conformance.cli import main
from conformance.emulator import create_app
from tests.runner.support import read_results

# the flows that wait for a run (the streamed one is left out: this emulator holds its stream an hour)
RUN_FLOWS = "createRun,cancelRun,createThreadAndRun,listRuns"


def test_runs_that_stay_queued_end_each_flow_quickly_with_one_finding(
    serve, openai_spec, tmp_path, monkeypatch, capsys
) -> None:
    url = serve(create_app(spec=openai_spec, run_delay=3600))  # every state lasts an hour
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    for name, seconds in (("INTERVAL", "0.05"), ("HEARTBEAT", "0.4"), ("STALL", "1")):
        monkeypatch.setenv(f"OPENAI_CONFORMANCE_POLL_{name}", seconds)
    started = time.monotonic()
    code = main(
        [
            *("run", "--target", url, "--target-kind", "test-server", "--include", RUN_FLOWS),
            *("--phases", "scenarios", "--report-dir", str(tmp_path), "--progress", "false"),
        ]
    )
    elapsed = time.monotonic() - started
    out = capsys.readouterr()
    assert code == 1 and "Traceback" not in out.out + out.err
    assert elapsed < 20, f"took {elapsed:.0f} s"
    assert "waiting for thread.run run_" in out.err  # the heartbeat while the first wait lasts
    assert out.err.count("later waits for a 'queued' thread.run are skipped") == 1
    results = read_results(tmp_path)
    stalled = [
        (r["operation_id"], v["check"])
        for r in results["operations"]
        for v in r["violations"]
        if "the target does not progress thread.run objects" in v["message"]
    ]
    assert len(stalled) == 1 and stalled[0][1] == "lifecycle.workflow", stalled
    outcomes = {r["operation_id"]: (r["outcome"], r.get("reason") or "") for r in results["operations"]}
    assert outcomes["createRun"][0] == "failed"
    for operation in ("cancelRun", "createThreadAndRun", "listRuns"):
        outcome, reason = outcomes[operation]
        assert outcome == "skipped" and "'queued' too" in reason and "this wait was skipped" in reason
