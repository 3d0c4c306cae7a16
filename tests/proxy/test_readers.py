"""`replay` reads the recordings people already have: vcrpy and Ruby VCR YAML, HAR 1.2 and our JSONL,
judges only exchanges with the API base, forgives headers a recorder filtered, and dates the evidence."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conformance.cli import main
from conformance.proxy.readers import read_recording
from conformance.proxy.replay import replay
from tests.runner.support import read_results
from tests.spec_paths import REPO

REAL_TRAFFIC = REPO.parent / "shared" / "real-traffic"
MODELS = {
    "object": "list",
    "data": [{"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}],
}
MODEL = {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}
JSON = {"content-type": ["application/json"]}


def violations(observer) -> list[dict]:
    return [v for v in observer.results.violations() if not v.get("known_deviation")]


def vcrpy_cassette(path: Path) -> Path:
    """Plain text, pydantic-ai's parsed_body, a gzip'd !!binary body, and another host; no x-request-id."""
    interactions = [
        {
            "request": {
                "method": "GET",
                "uri": "https://api.openai.com/v1/models",
                "body": None,
                "headers": {},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": JSON,
                "body": {"string": json.dumps(MODELS)},
            },
        },
        {
            "request": {"method": "GET", "uri": "https://api.openai.com/v1/models/gpt-4o", "headers": {}},
            "response": {"status": {"code": 200, "message": "OK"}, "headers": JSON, "parsed_body": MODEL},
        },
        {
            "request": {
                "method": "GET",
                "uri": "https://api.openai.com/v1/models?limit=1",
                "body": None,
                "headers": {},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {**JSON, "Content-Encoding": ["gzip"]},
                "body": {"string": gzip.compress(json.dumps(MODELS).encode())},
            },
        },
        {
            "request": {
                "method": "POST",
                "uri": "https://api.groq.com/openai/v1/chat/completions",
                "body": "{}",
                "headers": {},
            },
            "response": {"status": {"code": 200, "message": "OK"}, "headers": JSON, "body": {"string": "{}"}},
        },
    ]
    text = yaml.safe_dump({"interactions": interactions, "version": 1})
    assert "!!binary" in text
    path.write_text(text)
    return path


RUBY_VCR = """---
http_interactions:
- request:
    method: get
    uri: https://api.openai.com/v1/models
    body:
      encoding: US-ASCII
      string: ''
    headers:
      Authorization:
      - Bearer <OPENAI_ACCESS_TOKEN>
  response:
    status:
      code: 200
      message: OK
    headers:
      Date:
      - Tue, 14 Nov 2023 21:48:24 GMT
      Content-Type:
      - application/json
      X-Request-Id:
      - req_8f3b2c1d4e5f60718293a4b5c6d7e8f9
    body:
      encoding: ASCII-8BIT
      string: '%(models)s'
  recorded_at: Tue, 14 Nov 2023 21:48:24 GMT
- request:
    method: get
    uri: https://api.openai.com/v1/models/gpt-4o
    body:
      encoding: US-ASCII
      string: ''
    headers: {}
  response:
    status:
      code: 200
      message: OK
    headers:
      Content-Type:
      - application/json
    body:
      encoding: ASCII-8BIT
      string: !binary |-
        %(model_b64)s
  recorded_at: Sat, 27 Apr 2024 20:47:41 GMT
- request:
    method: get
    uri: https://api.openai.com/v1/models
    body:
      encoding: US-ASCII
      string: ''
    headers: {}
  response:
    status:
      code: 200
      message: OK
    headers:
      Content-Type:
      - application/json
      X-Request-Id:
      - req_0a1b2c3d4e5f60718293a4b5c6d7e8f9
    body:
      encoding: ASCII-8BIT
      base64_string: |
        %(models_b64)s
  recorded_at: Sun, 01 Dec 2024 10:00:00 GMT
recorded_with: VCR 6.1.0
"""


def ruby_cassette(path: Path) -> Path:
    path.write_text(
        RUBY_VCR
        % {
            "models": json.dumps(MODELS),
            "model_b64": base64.b64encode(json.dumps(MODEL).encode()).decode(),
            "models_b64": base64.b64encode(json.dumps(MODELS).encode()).decode(),
        }
    )
    return path


def har_file(path: Path, host: str = "https://api.openai.com/v1") -> Path:
    def entry(url: str, body: dict, started: str, **content: str) -> dict:
        text = json.dumps(body)
        if content.get("encoding") == "base64":
            text = base64.b64encode(text.encode()).decode()
        return {
            "startedDateTime": started,
            "request": {"method": "GET", "url": url, "headers": [{"name": ":authority", "value": "x"}]},
            "response": {
                "status": 200,
                "headers": [
                    {"name": "content-type", "value": "application/json"},
                    {"name": "content-encoding", "value": "br"},  # the HAR text is already decoded
                    {"name": "x-request-id", "value": "req_8f3b2c1d4e5f60718293a4b5c6d7e8f9"},
                ],
                "content": {"mimeType": "application/json", "text": text, **content},
            },
        }

    log = {
        "log": {
            "version": "1.2",
            "creator": {"name": "test", "version": "1"},
            "entries": [
                entry(f"{host}/models", MODELS, "2025-05-01T10:00:00.000Z"),
                entry(f"{host}/models/gpt-4o", MODEL, "2025-05-02T10:00:00.000Z", encoding="base64"),
                entry("https://api.openai.com/dashboard/billing", {}, "2025-05-03T10:00:00.000Z"),
            ],
        }
    }
    path.write_text(json.dumps(log))
    return path


def test_vcrpy_yaml_text_parsed_and_gzip_bodies_are_judged_other_hosts_counted(spec, tmp_path):
    cassette = vcrpy_cassette(tmp_path / "test_models.yaml")
    recording = read_recording(cassette)
    assert recording.format == "vcrpy" and len(recording.records) == 3
    assert dict(recording.other_hosts) == {"api.groq.com": 1}
    observer = replay(cassette, spec, printer=None)
    assert observer.finish() == 0, violations(observer)
    assert {op.operation_id for op in observer.results.operations} == {"listModels", "retrieveModel"}
    provenance = observer.results.recordings
    # No response carries x-request-id: the recorder filtered it, it is not reported missing.
    assert provenance["scrubbed_headers"] == {"x-request-id": 1}
    assert provenance["other_hosts"] == {"api.groq.com": 1}
    # vcrpy has no timestamps and this recorder dropped `date`: only the model's `created` dates it.
    assert provenance["dates"]["sources"] == {"created": 1} and provenance["dates"]["undated"] == 2
    assert provenance["dates"]["first"].startswith("2024-05-10")


def test_brotli_body_is_decoded(spec, tmp_path):
    brotli = pytest.importorskip("brotli")
    cassette = vcrpy_cassette(tmp_path / "c.yaml")
    data = yaml.safe_load(cassette.read_text())
    third = data["interactions"][2]["response"]
    third["headers"]["Content-Encoding"] = ["br"]
    third["body"]["string"] = brotli.compress(json.dumps(MODELS).encode())
    cassette.write_text(yaml.safe_dump(data))
    assert json.loads(read_recording(cassette).records[2]["response"]["body"]) == MODELS


def test_ruby_vcr_binary_base64_and_lower_case_methods(spec, tmp_path):
    cassette = ruby_cassette(tmp_path / "models.yml")
    recording = read_recording(cassette)
    assert recording.format == "ruby-vcr"
    assert [r["request"]["method"] for r in recording.records] == ["GET", "GET", "GET"]
    assert json.loads(recording.records[1]["response"]["body"]) == MODEL
    observer = replay(cassette, spec, printer=None)
    assert observer.finish() == 1
    # x-request-id came in some answers, so its absence from one is the API's, not the recorder's.
    found = violations(observer)
    assert [(v["check"], v["operation_id"], v["message"]) for v in found] == [
        ("response.headers", "retrieveModel", "header x-request-id is missing")
    ]
    provenance = observer.results.recordings
    assert provenance["scrubbed_headers"] == {}
    assert provenance["dates"] == {
        "first": "2023-11-14T21:48:24Z",
        "last": "2024-12-01T10:00:00Z",
        "dated": 3,
        "undated": 0,
        "sources": {"recorded": 3},
    }
    assert recording.records[0]["request"]["headers"]["authorization"] == "[REDACTED]"


def test_har_base64_content_and_base_url(spec, tmp_path):
    har = har_file(tmp_path / "session.har")
    observer = replay(har, spec, printer=None)
    assert observer.finish() == 0, violations(observer)
    provenance = observer.results.recordings
    assert provenance["formats"] == {"har": 1} and provenance["exchanges"] == 2
    assert provenance["other_hosts"] == {"api.openai.com (outside /v1)": 1}
    assert provenance["dates"]["first"] == "2025-05-01T10:00:00Z"

    gateway = har_file(tmp_path / "gateway.har", host="https://gw.example.com/openai/v1")
    assert replay(gateway, spec, printer=None).results.recordings["exchanges"] == 0
    moved = replay(gateway, spec, printer=None, base_url="https://gw.example.com/openai/v1")
    assert moved.finish() == 0 and moved.results.recordings["exchanges"] == 2


def test_cli_reads_several_paths_and_directories_and_writes_the_evidence(tmp_path, capsys):
    folder = tmp_path / "cassettes"
    (folder / "nested").mkdir(parents=True)
    vcrpy_cassette(folder / "a.yaml")
    ruby_cassette(folder / "nested" / "b.yml")
    (folder / "README.md").write_text("# not a cassette\n")
    har = har_file(tmp_path / "s.har")
    reports = tmp_path / "reports"
    code = main(["replay", str(folder), str(har), "--quiet", "--report-dir", str(reports)])
    assert code == 1  # the Ruby cassette's missing x-request-id
    err = capsys.readouterr().err
    assert "3 recordings (har ×1, ruby-vcr ×1, vcrpy ×1), 8 exchanges" in err
    assert "1 file that is no recording skipped" in err
    assert "other hosts (not judged): 2 exchanges" in err and "api.groq.com ×1" in err
    assert "treated as filtered by the recorder, not reported missing: x-request-id (in 1 recording" in err
    assert "evidence dated 2023-11-14 to 2025-05-02" in err
    results = read_results(reports)
    assert results["recordings"]["ignored"] == [str(folder / "README.md")]
    summary = (reports / "latest" / "summary.md").read_text()
    assert "### Recorded evidence" in summary and "evidence dated 2023-11-14" in summary
    html = (reports / "latest" / "report.html").read_text()
    evidence = html[html.index('<section id="evidence">') :].split("</section>")[0]
    assert "Recorded evidence" in evidence and "evidence dated 2023-11-14 to 2025-05-02" in evidence
    assert "x-request-id (in 1 recording" in evidence and "other hosts" in evidence

    assert main(["replay", str(folder), "--quiet", "--skip-check", "response.headers"]) == 0


def test_unknown_or_malformed_recordings_are_one_line_and_exit_2(tmp_path, capsys):
    notes = tmp_path / "notes.yaml"
    notes.write_text("title: not a cassette\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken.yml"
    broken.write_text("http_interactions:\n- request: {method: get}\n  response: {status: {code: 200}}\n")
    binary = tmp_path / "blob.har"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    for path in (notes, empty, broken, binary):
        assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("openai-conformance: error: ") for line in err)
    assert "notes.yaml: not a recording (expected a JSONL cassette" in err[0]
    assert "no recording found in" in err[1]
    assert "broken.yml: exchange 1: malformed Ruby VCR YAML entry" in err[2]
    assert "blob.har: not a recording" in err[3]


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's own usage errors
        return int(stop.code or 0)


def test_skip_check_is_validated_on_replay_run_and_proxy(tmp_path, capsys):
    cassette = ruby_cassette(tmp_path / "m.yml")
    for argv in (
        ["replay", str(cassette), "--skip-check", "response.headers,nope"],
        ["run", "--skip-check", "nope"],
        ["proxy", "--upstream", "http://127.0.0.1:9/v1", "--skip-check", "nope"],
    ):
        assert exit_code(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(
        "unknown check 'nope'; valid ids: auth.required, error.envelope" in line for line in err
    )
    assert all("response.schema" in line for line in err)


def test_run_skip_check_drops_the_check(tmp_path):
    args = ["run", "--include", "listModels", "--phases", "positive", "--max-examples", "2"]
    args += ["--emulator-fault", "missing-request-id"]
    assert main([*args, "--report-dir", str(tmp_path / "a")]) == 1
    assert main([*args, "--skip-check", "response.headers", "--report-dir", str(tmp_path / "b")]) == 0
    assert read_results(tmp_path / "b")["options"]["skip_check"] == ["response.headers"]


@pytest.mark.skipif(not REAL_TRAFFIC.is_dir(), reason="../shared/real-traffic is not here")
def test_the_real_traffic_corpus_replays_whole(spec):
    observer = replay(REAL_TRAFFIC, spec, printer=None)
    observer.finish()
    provenance = observer.results.recordings
    assert observer.internal_errors == 0
    assert not [op for op in observer.results.operations if op.outcome == "error"]
    assert provenance["formats"] == {"ruby-vcr": 205, "vcrpy": 56}
    # Pinned, so a change in a reader shows as a diff. (The corpus README counts 388 exchanges with
    # api.openai.com/v1 after its own conversion; read raw, ruby-openai holds 332 of them, not 326,
    # 16 of which its authors wrote by hand: not the API's answers, not judged.)
    assert provenance["exchanges"] == 378
    assert provenance["hand_written"]["exchanges"] == 16 and len(provenance["hand_written"]["files"]) == 15
    assert sum(provenance["other_hosts"].values()) == 21 and len(provenance["other_hosts"]) == 10
    assert provenance["scrubbed_headers"] == {"x-request-id": 51}
    assert provenance["dates"]["dated"] == 371 and provenance["dates"]["sources"]["recorded"] == 316
    assert {"api.cerebras.ai", "generativelanguage.googleapis.com", "api.deepseek.com"} <= set(
        provenance["other_hosts"]
    )
    missing = [v for v in observer.results.violations() if "x-request-id is missing" in v["message"]]
    assert missing == []
    assert provenance["dates"]["first"].startswith("2023")


# What is left unexplained in each library's recordings, pinned so a change in a check or in the
# known-deviations table shows as a diff. It is no false positive of a check: a real 500 of the
# API (listFilesInVectorStoreBatch, 2024-10-15), which no table explains.
# The answers ruby-openai wrote by hand (conversations, vector-store search, realtime sessions,
# test_error and empty 500 bodies) are left out before judging.
UNEXPLAINED = {
    "ruby-openai": {
        ("server.error", "listFilesInVectorStoreBatch"): 1,
    },
    "pydantic-ai-chat": {},
}
CORPUS_COUNTS = {  # library -> exchanges judged, findings a known deviation explains, their deviations
    "ruby-openai": (316, 660, 121),
    "pydantic-ai-chat": (62, 56, 19),
}


@pytest.mark.skipif(not REAL_TRAFFIC.is_dir(), reason="../shared/real-traffic is not here")
@pytest.mark.parametrize("library", sorted(UNEXPLAINED))
def test_each_librarys_recordings_leave_only_named_findings_unexplained(spec, library):
    observer = replay(REAL_TRAFFIC / library, spec, printer=None)
    observer.finish()
    found = observer.results.violations()
    known = [v for v in found if v.get("known_deviation")]
    unexplained = Counter((v["check"], v["operation_id"]) for v in found if not v.get("known_deviation"))
    assert dict(unexplained) == UNEXPLAINED[library]
    exchanges, known_findings, known_groups = CORPUS_COUNTS[library]
    assert observer.results.recordings["exchanges"] == exchanges
    assert len(known) == known_findings
    assert len({tuple(v["signature"]) for v in known}) == known_groups
    assert not [v for v in found if "more than" in v["message"] or "include_usage" in v["message"]]


def test_answers_written_by_hand_are_not_judged(tmp_path, spec):
    """ruby-openai's conversations fixtures: an x-request-id no API issues; its test_error bodies: a
    layout VCR does not write. Real ids (32 hex digits, with req_ or not, a UUID) are judged."""
    real = ruby_cassette(tmp_path / "ruby.yml").read_text()
    fake = real.replace("req_8f3b2c1d4e5f60718293a4b5c6d7e8f9", "req_c123d456e789f012g345h678901234ef")
    assert "req_c123d456" in fake
    (tmp_path / "fake.yml").write_text(fake)
    recording = read_recording(tmp_path / "fake.yml")
    assert recording.hand_written == [
        "x-request-id 'req_c123d456e789f012g345h678901234ef' is no id the API issues"
    ]
    indented = real.replace("      Date:\n      - Tue", "      Date:\n        - Tue")
    assert indented != real
    (tmp_path / "indented.yml").write_text(indented)
    assert read_recording(tmp_path / "indented.yml").records == []
    for good in (
        "req_9c2e43b138498be89798f86332840af4",
        "3d789b25cea3eab9c40614b357c4eddb",
        "efb1aa01-de7e-4ba5-b824-c66661707023",
    ):
        (tmp_path / "real.yml").write_text(real.replace("req_8f3b2c1d4e5f60718293a4b5c6d7e8f9", good))
        assert read_recording(tmp_path / "real.yml").hand_written == []
