"""Baselines: known violations accepted with a reason and an expiry; only new ones fail."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from conformance.checks.signature import normalise_path
from conformance.cli import main
from conformance.errors import ConformanceError
from conformance.reports import read_results, write_reports
from conformance.reports.baseline import (
    Baseline,
    Entry,
    apply_baseline,
    baseline_from,
    dump_baseline,
    load_baseline,
)
from tests.reports.report_fixtures import PLANTED

TODAY = date(2026, 11, 22)


def test_accepts_listed_violations_and_only_new_ones_fail(make_run):
    run = make_run()
    baseline = Baseline(
        [
            Entry(
                "response.schema",
                "listAssistants",
                "created_at is a string upstream",
                path="$.data[*].created_at",
            ),
            Entry("pagination.*", "*", "has_more is wrong on every list", phase="positive"),
        ]
    )
    summary = apply_baseline(run, baseline, today=TODAY)
    assert summary["accepted"] == 3 and summary["new"] == len(PLANTED) - 3
    assert summary["unused"] == [] and summary["expired"] == []
    lists = next(r for r in run.operations if r.key == ("listAssistants", "positive"))
    assert lists.outcome == "passed" and all(v["accepted"]["reason"] for v in lists.violations)
    assert run.exit_code == 1 and run.counts()["accepted_violations"] == 3


def test_everything_accepted_means_exit_zero(make_run):
    run = make_run()
    apply_baseline(run, baseline_from(run, reason="triaged"), today=TODAY)
    assert run.exit_code == 0 and run.counts()["new_violations"] == 0
    assert {r.outcome for r in run.operations} == {"passed", "not-implemented"}


def test_expired_entries_count_again_and_unused_ones_are_reported(make_run):
    run = make_run()
    baseline = Baseline(
        [
            Entry("sse.stream", "createChatCompletion", "streams end early", expires=date(2026, 1, 31)),
            Entry("response.schema", "createEmbedding", "fixed long ago"),
        ]
    )
    summary = apply_baseline(run, baseline, today=TODAY)
    assert [e["check"] for e in summary["expired"]] == ["sse.stream"]
    assert [e["operation_id"] for e in summary["unused"]] == ["createEmbedding"]
    assert summary["accepted"] == 0 and run.exit_code == 1
    # the same entry before its expiry accepts the violation
    apply_baseline(run, baseline, today=date(2026, 1, 30))
    chat = next(r for r in run.operations if r.key == ("createChatCompletion", "positive"))
    assert chat.outcome == "passed" and chat.violations[0]["accepted"]["expires"] == "2026-01-31"


def test_reapplying_a_baseline_starts_afresh(make_run):
    run = make_run()
    apply_baseline(run, baseline_from(run), today=TODAY)
    apply_baseline(run, Baseline([]), today=TODAY)
    assert run.counts()["accepted_violations"] == 0 and run.exit_code == 1


def test_file_round_trip_keeps_reasons_and_drops_fixed_entries(make_run, tmp_path):
    run = make_run()
    path = tmp_path / "baseline.yaml"
    path.write_text(dump_baseline(baseline_from(run, reason="first triage", expires=date(2027, 3, 31)), run))
    loaded = load_baseline(path)
    assert len(loaded.entries) == 7  # 8 violations, two share a fingerprint ($.data[*].created_at)
    assert all(e.reason == "first triage" and e.expires == date(2027, 3, 31) for e in loaded.entries)
    fewer = make_run(planted=PLANTED[:2])
    updated = baseline_from(fewer, reason="second", previous=loaded)
    assert [e.reason for e in updated.entries] == ["first triage", "first triage"]
    kept = baseline_from(fewer, previous=load_baseline(path), keep_unused=True)
    assert len(kept.entries) == 7


def test_cli_update_then_gate(make_run, tmp_path, capsys):
    reports = tmp_path / "reports"
    write_reports(make_run(planted=PLANTED[:3]), reports)
    baseline = tmp_path / "conformance-baseline.yaml"
    assert main(["baseline", "update", str(reports), "-o", str(baseline), "--reason", "spec gap #12"]) == 0
    data = yaml.safe_load(baseline.read_text())
    assert data["version"] == 1 and {e["reason"] for e in data["accepted"]} == {"spec gap #12"}
    assert main(["baseline", "check", str(reports), "--baseline", str(baseline)]) == 0
    write_reports(make_run(), reports)  # a later run with more violations
    assert main(["baseline", "check", str(reports), "--baseline", str(baseline)]) == 1
    out = capsys.readouterr().out
    assert "new: sse.stream createChatCompletion [positive]" in out
    # update again: existing entries keep their reason, new ones get the new reason
    assert main(["baseline", "update", str(reports), "-o", str(baseline), "--reason", "later"]) == 0
    reasons = [e["reason"] for e in yaml.safe_load(baseline.read_text())["accepted"]]
    assert reasons.count("spec gap #12") == 2 and reasons.count("later") == 5
    merged = tmp_path / "merged"
    assert main(["report", "merge", str(reports), "-o", str(merged), "--baseline", str(baseline)]) == 0
    assert read_results(merged).counts()["accepted_violations"] == len(PLANTED)


@pytest.mark.parametrize(
    "text, message",
    [
        ("accepted: 3", "expected a mapping with an `accepted` list"),
        ("version: 7\naccepted: []", "version 7 is not supported"),
        ("accepted:\n  - operation_id: x", "entry 1: needs a `check`"),
        ("accepted:\n  - check: a\n    expires: soon", "expires 'soon' is not a date"),
        ("accepted:\n  - check: a\n    colour: red", "unknown field(s) colour"),
        ("accepted: [", "cannot read it"),
    ],
)
def test_bad_baseline_files_are_usage_errors(tmp_path, text, message):
    path = tmp_path / "b.yaml"
    path.write_text(text)
    with pytest.raises(ConformanceError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load_baseline(path)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_missing_baseline_and_bad_expiry_option(tmp_path, capsys, make_run):
    write_reports(make_run(), tmp_path)
    assert main(["baseline", "check", str(tmp_path), "--baseline", str(tmp_path / "nope.yaml")]) == 2
    with pytest.raises(SystemExit) as info:
        main(["baseline", "update", str(tmp_path), "--expires", "next week"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "is not a date" in err


def test_paths_fold_array_indices():
    assert normalise_path("$.data[12].content[0].text") == "$.data[*].content[*].text"
    assert normalise_path("/data/3/id") == "/data/*/id"
    assert normalise_path(None) == ""


def test_check_rewrite_marks_accepted_violations_in_the_reports(make_run, tmp_path):
    reports = tmp_path / "conformance-report"
    folder = write_reports(make_run(), reports)
    baseline = tmp_path / "b.yaml"
    baseline.write_text(
        "accepted:\n  - check: sse.stream\n    operation_id: createChatCompletion\n    reason: flaky upstream\n"
    )
    assert main(["baseline", "check", str(reports), "--baseline", str(baseline), "--rewrite"]) == 1
    again = read_results(folder)
    assert again.run_id == folder.name and again.baseline["accepted"] == 1
    assert "accepted: flaky upstream" in (folder / "report.html").read_text()
    assert "accepted by the baseline: 1 (1 finding, not counted)" in (folder / "summary.md").read_text()
    assert "accepted by baseline (flaky upstream)" in (folder / "junit.xml").read_text()
