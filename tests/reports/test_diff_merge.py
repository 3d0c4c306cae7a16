"""`report diff` (new and fixed violations between runs) and `report merge` (shards into one run)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conformance.cli import main
from conformance.errors import ConformanceError
from conformance.reports import read_results, write_reports
from conformance.reports.diff import diff_runs
from conformance.reports.merge import merge_runs
from conformance.results import RunResults
from tests.reports.report_fixtures import PLANTED


def test_diff_finds_new_and_fixed(make_run):
    before = make_run(planted=PLANTED[:4])
    after = make_run(planted=PLANTED[2:])
    d = diff_runs(before, after)
    assert {(v["check"], v["operation_id"]) for v in d.new} == {
        (p.check, p.operation_id) for p in PLANTED[4:]
    }
    assert {(v["check"], v["operation_id"]) for v in d.fixed} == {("pagination.page", "listAssistants")}
    assert d.unchanged == 2  # response.schema on $.data[*].created_at and sse.stream
    assert {
        "operation_id": "createAssistant",
        "phase": "negative",
        "before": "passed",
        "after": "failed",
    } in d.outcomes


def test_diff_cli_text_json_and_exit_codes(make_run, tmp_path, capsys):
    a = write_reports(make_run(planted=PLANTED[:4]), tmp_path / "a")
    b = write_reports(make_run(planted=PLANTED[:3]), tmp_path / "b")
    assert main(["report", "diff", str(a), str(b)]) == 0  # only a fix
    out = capsys.readouterr().out
    assert "0 new, 1 fixed" in out and "- sse.stream createChatCompletion [positive]" in out
    assert main(["report", "diff", str(b / "results.json"), str(tmp_path / "a")]) == 1
    out = capsys.readouterr().out
    assert "+ sse.stream createChatCompletion [positive]" in out
    assert main(["report", "diff", "--no-fail", str(b), str(a)]) == 0
    capsys.readouterr()
    assert main(["report", "diff", "--json", str(b), str(a)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [v["check"] for v in data["new"]] == ["sse.stream"] and data["fixed"] == []


def _shard(run: RunResults, index: int, total: int) -> RunResults:
    """What a shard of the runner holds: every n-th operation."""
    ops = sorted({r.operation_id for r in run.operations})
    mine = set(ops[index::total])
    part = RunResults.from_dict(run.to_dict())
    part.run_id = f"{run.run_id}-shard{index}"
    part.shard = {"index": index + 1, "total": total, "run": run.run_id}
    part.operations = [r for r in part.operations if r.operation_id in mine]
    part.requests_sent = sum(r.requests for r in part.operations)
    part.exit_code = None
    part.settle()
    return part


def test_merge_of_shards_equals_the_whole_run(make_run):
    whole = make_run()
    shards = [_shard(whole, i, 3) for i in range(3)]
    merged = merge_runs(shards)
    assert merged.shards == [s.run_id for s in shards]
    assert sorted(r.key for r in merged.operations) == sorted(r.key for r in whole.operations)
    assert merged.counts() == whole.counts()
    assert merged.requests_sent == whole.requests_sent and merged.exit_code == 1


def test_merge_folds_the_same_operation_from_two_runs(make_run):
    a, b = make_run(planted=PLANTED[:1]), make_run(planted=PLANTED[3:4])
    merged = merge_runs([a, b])
    lists = next(r for r in merged.operations if r.key == ("listAssistants", "positive"))
    assert lists.requests == 12 and lists.outcome == "failed"
    assert len(merged.operations) == len(a.operations) and len(merged.new_violations()) == 2
    # a violation seen by both runs is kept once
    assert len(merge_runs([a, make_run(planted=PLANTED[:1])]).violations()) == 1


def test_merge_keeps_an_unreachable_shard_visible(make_run):
    a, b = make_run(planted=()), make_run(planted=())
    b.exit_code = 3
    assert merge_runs([a, b]).exit_code == 3


def test_merge_cli_writes_every_format(make_run, tmp_path, capsys):
    whole = make_run()
    dirs = []
    for i in range(2):
        dirs.append(str(write_reports(_shard(whole, i, 2), tmp_path / f"shard{i}")))
    out_dir = tmp_path / "merged"
    assert main(["report", "merge", *dirs, "--output", str(out_dir)]) == 1
    assert "merged 2 runs" in capsys.readouterr().out
    merged = read_results(out_dir)
    assert merged.counts() == whole.counts()
    cases = ET.parse(out_dir / "latest" / "junit.xml").getroot().findall("./testsuite/testcase")
    assert len(cases) == len(whole.operations)
    assert (out_dir / "latest" / "report.html").is_file() and (out_dir / "latest" / "summary.md").is_file()
    assert main(["report", "merge", *dirs, "--output", str(out_dir), "--no-fail"]) == 0


def test_merge_refuses_runs_of_different_specs(make_run, tmp_path, capsys):
    a, b = make_run(), make_run()
    b.spec = {**b.spec, "sha256": "0" * 64, "version": "2.0.0"}
    dirs = [str(write_reports(a, tmp_path)), str(write_reports(b, tmp_path))]
    assert main(["report", "merge", *dirs, "-o", str(tmp_path / "m")]) == 2
    assert "different specs" in capsys.readouterr().err
    assert main(["report", "merge", *dirs, "-o", str(tmp_path / "m"), "--allow-mixed-specs"]) == 1
    assert main(["report", "merge", dirs[0], dirs[0], "-o", str(tmp_path / "m")]) == 2


def test_merge_refuses_an_incomplete_shard_set_unless_allowed(make_run, tmp_path, capsys):
    whole = make_run()
    dirs = [str(write_reports(_shard(whole, i, 3), tmp_path / f"shard{i}")) for i in (0, 2)]
    out_dir = tmp_path / "merged"
    assert main(["report", "merge", *dirs, "-o", str(out_dir)]) == 2
    err = capsys.readouterr().err
    assert "have 1/3, 3/3, missing 2/3" in err and "--allow-partial" in err and "Traceback" not in err
    assert not out_dir.exists()
    assert main(["report", "merge", *dirs, "-o", str(out_dir), "--allow-partial"]) == 1
    assert "shards missing: 2/3" in capsys.readouterr().err
    merged = read_results(out_dir)
    assert merged.missing_shards == ["2/3"]
    assert "shards 2/3 missing" in (out_dir / "latest" / "summary.md").read_text()


def test_merge_refuses_shards_of_different_runs_splits_or_twice(make_run):
    whole, other = make_run(), make_run()
    mixed = [_shard(whole, 0, 2), _shard(other, 1, 2)]
    with pytest.raises(ConformanceError, match="different runs"):
        merge_runs(mixed, allow_partial=True)
    with pytest.raises(ConformanceError, match="split the run differently"):
        merge_runs([_shard(whole, 0, 2), _shard(whole, 1, 3)], allow_partial=True)
    twice = _shard(whole, 0, 2)
    twice.run_id += "-again"
    with pytest.raises(ConformanceError, match="same shard was given twice: 1/2"):
        merge_runs([_shard(whole, 0, 2), twice, _shard(whole, 1, 2)])
    with pytest.raises(ConformanceError, match="not shards"):
        merge_runs([_shard(whole, 0, 2), make_run()])
