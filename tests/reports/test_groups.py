"""Deviations: findings grouped by signature in summary.md, the terminal, diffs and baselines."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conformance.checks.signature import message_shape, normalise_path
from conformance.cli import main
from conformance.proxy import Capture, CassetteWriter, to_record
from conformance.reports.groups import group_findings, headline, signature
from conformance.reports.terminal import render
from tests.reports.report_fixtures import PLANTED

UPSTREAM = "https://api.example.test/v1"
REPEATS = 40


def test_values_that_vary_are_folded_and_what_went_wrong_is_kept():
    assert normalise_path("$.data[12].content[0].text") == "$.data[*].content[*].text"
    assert normalise_path('$.metadata["conformance_run"]') == '$.metadata["conformance_run"]'
    assert normalise_path('$["asst_abc123"].name') == '$["{id}"].name'
    assert message_shape('"chatcmpl-9xA1" is not one of "chat.completion"') == '"…" is not one of "…"'
    assert message_shape("12 items exceed limit 2 for asst_abc123") == "N items exceed limit N for {id}"
    # a status is what went wrong, not a varying value
    assert message_shape("answered 500") != message_shape("answered 200")
    a = {"check": "c", "operation_id": "o", "path": "$.data[1].id", "message": "got 'x1'"}
    b = {"check": "c", "operation_id": "o", "path": "$.data[7].id", "message": "got 'y22'"}
    assert signature(a) == signature(b)
    assert signature(a) != signature({**a, "operation_id": "other"})


def test_the_planted_run_groups_and_sorts_worst_first(make_run):
    run = make_run()
    groups = group_findings(run)
    assert sum(g.count for g in groups) == len(PLANTED)
    assert len(groups) == len(PLANTED) - 1  # $.data[0] and $.data[3].created_at are one deviation
    assert groups[0].count == 2 and groups[0].path == "$.data[*].created_at"
    assert headline(groups) == "7 deviations (8 findings) in 6 operations"


def _capture(number: int) -> Capture:
    """A retrieveModel answer that breaks two contracts the same way each time, with varying values."""
    body = {"id": f"ft:gpt-4o:acme:{number}", "object": "models", "created": 1700000000 + number}
    return Capture(
        method="GET",
        base="/v1",
        path=f"/models/ft-model-{number:04d}",
        query="",
        request_headers=[("Authorization", "Bearer sk-proj-GROUPSkey0123456789abcdef")],
        request_body=b"",
        status=200,
        response_headers=[("content-type", "application/json")],  # no x-request-id
        response_body=json.dumps(body | {"owned_by": "acme"}).encode(),
        elapsed=0.01,
        ttfb=0.01,
    )


def test_a_replay_of_many_identical_findings_is_one_row_with_the_count(tmp_path: Path, openai_spec, capsys):
    cassette = tmp_path / "traffic.jsonl"
    writer = CassetteWriter(cassette, UPSTREAM, openai_spec)
    for number in range(REPEATS):
        writer.write(to_record(_capture(number), number + 1, "retrieveModel"))
    writer.close()
    assert main(["replay", str(cassette), "--report-dir", str(tmp_path / "reports"), "-q"]) == 1
    err = capsys.readouterr().err
    summary = (tmp_path / "reports" / "latest" / "summary.md").read_text()
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "`retrieveModel`" in line]
    keys = [tuple(cell.strip() for cell in row.split("|")[2:6]) for row in rows]
    assert len(keys) == len(set(keys)) >= 2, summary  # no two rows share a signature
    assert all(row.startswith(f"| {REPEATS} |") for row in rows), rows
    findings = REPEATS * len(rows)
    assert f"**{len(rows)} deviations ({findings} findings) in 1 operation**" in summary
    # the terminal: the headline, one line per deviation, and a reproduction at the recorded upstream
    assert f"replay: {len(rows)} deviations ({findings} findings) in 1 operation" in err
    assert len(re.findall(rf"^\s+{REPEATS}×  \S+  retrieveModel  ", err, re.M)) == len(rows)
    assert f"curl -sS -X GET {UPSTREAM}/models/ft-model-0000" in err
    assert "sk-proj-GROUPS" not in err and "$OPENAI_API_KEY" in err


def test_show_limits_the_reproductions(make_run):
    run = make_run()
    assert render(run, 0).count("curl -sS") == 0
    assert render(run, 2).count("curl -sS") == 2
    assert "--show N for more" in render(run, 2)
    assert render(run, 100).count("curl -sS") == len(PLANTED) - 1
