"""write_reports: the files, `latest`, junit.xml, summary.md, and redaction of every output."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.cli import main
from conformance.errors import ConformanceError
from conformance.redact import REDACTED, redact, redact_text
from conformance.reports import REPORT_FILES, read_results, schema_errors, write_reports
from conformance.reports.baseline import Baseline, Entry, apply_baseline
from conformance.spec.data import data_file
from tests.reports.report_fixtures import PLANTED, PLANTED_KEY, PLANTED_ORG, PLANTED_PROJECT, all_text


def test_writes_every_report_and_points_latest(make_run, tmp_path):
    first = write_reports(make_run(), tmp_path)
    assert sorted(p.name for p in first.iterdir()) == sorted(REPORT_FILES)
    assert (tmp_path / "latest").resolve() == first.resolve()
    assert os.readlink(tmp_path / "latest") == first.name  # relative: the folder can move
    second = write_reports(make_run(), tmp_path)
    assert second != first and (tmp_path / "latest").resolve() == second.resolve()
    assert read_results(tmp_path).run_id == second.name
    data = json.loads((second / "results.json").read_text())
    assert schema_errors(data) == []
    # and by the reference validator, reading the schema as the installed package ships it
    schema = json.loads(data_file("schemas", "results.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)


def test_latest_is_a_pointer_file_where_symlinks_fail(make_run, tmp_path, monkeypatch):
    def no_symlinks(*args, **kwargs):
        raise OSError("symlinks are not supported here")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    folder = write_reports(make_run(), tmp_path)
    pointer = tmp_path / "latest"
    assert pointer.is_file() and pointer.read_text().strip() == folder.name
    assert read_results(tmp_path).run_id == folder.name
    assert read_results(folder / "results.json").run_id == folder.name


def test_unwritable_folder_is_one_clear_error(make_run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConformanceError, match="cannot write reports"):
        write_reports(make_run(), blocker)


def test_junit_has_one_case_per_operation_and_phase(make_run, tmp_path):
    run = make_run()
    root = ET.parse(write_reports(run, tmp_path) / "junit.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(run.operations)
    names = {c.get("name") for c in cases}
    assert "test_positive[listAssistants]" in names and "test_stateful[deleteAssistant]" in names
    failing = {f"test_{p.phase}[{p.operation_id}]" for p in PLANTED}
    assert {c.get("name") for c in cases if c.find("failure") is not None} == failing
    assert {c.get("name") for c in cases if c.find("skipped") is not None} == {
        "test_positive[createImage]",
        "test_negative[createImage]",
    }
    assert root.get("tests") == str(len(cases)) and root.get("failures") == str(len(failing))
    failure = next(c for c in cases if c.get("name") == "test_positive[listAssistants]").find("failure")
    assert "pagination.page" in failure.get("message") and "curl -sS -X GET" in failure.text


def test_summary_names_the_verdict_and_new_violations(make_run, tmp_path):
    text = (write_reports(make_run(), tmp_path) / "summary.md").read_text()
    assert text.startswith("## openai-conformance: FAIL")
    # 8 findings; the two listAssistants $.data[N].created_at ones are one deviation
    assert "**7 deviations (8 findings) in 6 operations**" in text
    for p in PLANTED:
        assert f"`{p.check}` | `{p.operation_id}`" in text
    assert "| 2 | `response.schema` | `listAssistants` | `$.data[*].created_at` |" in text
    clean = (write_reports(make_run(planted=()), tmp_path) / "summary.md").read_text()
    assert clean.startswith("## openai-conformance: PASS") and "### Deviations" not in clean
    assert "**0 deviations (0 findings) in 0 operations**" in clean


def test_a_planted_key_never_reaches_any_output(make_run, planted_env, tmp_path, capsys):
    """Key in env, headers, options, messages and the target URL; grep every file and every output."""
    run = make_run(PLANTED[:4], target=f"https://user:{PLANTED_KEY}@gateway.example.test/v1")
    run.options["note"] = "tok-PLANTEDcustom-42 is configured"
    apply_baseline(run, Baseline([Entry("sse.*", "*", reason=f"known, key {PLANTED_KEY}")], "b.yaml"))
    folder = write_reports(run, tmp_path / "reports", secret_env=["CUSTOM_UPSTREAM_TOKEN"])
    other = write_reports(make_run(), tmp_path / "reports", secret_env=["CUSTOM_UPSTREAM_TOKEN"])
    assert main(["report", "diff", str(folder), str(other)]) == 1
    assert main(["report", "diff", "--json", str(folder), str(other)]) == 1
    assert main(["baseline", "update", str(folder), "-o", str(tmp_path / "baseline.yaml")]) == 0
    assert main(["baseline", "check", str(folder), "--baseline", str(tmp_path / "baseline.yaml")]) == 0
    assert main(["baseline", "check", str(other), "--baseline", str(tmp_path / "baseline.yaml")]) == 1
    assert main(["report", "merge", str(folder), str(other), "-o", str(tmp_path / "merged")]) == 1
    out = capsys.readouterr()
    texts = {**all_text(tmp_path), "stdout": out.out, "stderr": out.err}
    assert len(texts) >= 2 * len(REPORT_FILES) + 3
    secrets = [PLANTED_KEY, PLANTED_ORG, PLANTED_PROJECT, "tok-PLANTEDcustom-42", PLANTED_KEY[:20]]
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret} leaked into {name}"
    assert REDACTED in (folder / "results.json").read_text()


def test_redaction_rules():
    data = {
        "headers": {"authorization": "Bearer abc.def", "OpenAI-Project": "p1", "Accept": "json"},
        "note": "key sk-abcdefghijkl1234 and Bearer xyz123",
    }
    clean = redact(data, ["zzz-secret"])
    assert clean["headers"] == {"authorization": REDACTED, "OpenAI-Project": REDACTED, "Accept": "json"}
    assert clean["note"] == f"key {REDACTED} and Bearer {REDACTED}"
    assert redact_text("value zzz-secret here", ["zzz-secret"]) == f"value {REDACTED} here"
    assert redact_text("https://me:pw@host/v1", []) == f"https://{REDACTED}@host/v1"
    assert redact_text("the task-abcdefgh is fine", []) == "the task-abcdefgh is fine"


def test_reading_a_bad_file_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "results.json"
    bad.write_text("{not json")
    assert main(["report", "diff", str(bad), str(bad)]) == 2
    bad.write_text(json.dumps({"run_id": "x"}))
    assert main(["baseline", "update", str(bad)]) == 2
    assert main(["report", "merge", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("openai-conformance: error: ") for line in err)
    assert "Traceback" not in "".join(err)
    assert Path(tmp_path / "missing").exists() is False
