"""Acceptance: `openai-conformance run` -> the proxy -> the clean emulator over HTTP. The run's verdict
and the proxy's own judgement of the same exchanges agree: nothing found. The proxy judges what went
over the wire (not its redacted cassette: project ids, JSON bodies) and reads form fields as the
spec types them (a multipart `stream=true` asks for a stream), and it still catches a real fault."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.cli import main
from conformance.emulator import create_app, media
from conformance.emulator.faults import FAULTS
from conformance.errors import EXIT_OK, EXIT_VIOLATIONS
from conformance.proxy import CassetteWriter
from conformance.proxy.replay import replay
from tests.proxy.proxy_servers import Proxy, proxied, serve
from tests.runner.support import read_results

# multipart uploads, evals (bodies the cassette's redaction used to cut), the projects (proj_ ids,
# which it turns into "[REDACTED]"), and a JSON API with streams
OPERATIONS = (
    "createTranscription,createImageEdit,createFile,createEval,getEval,updateEval,deleteEval,"
    "create-project,retrieve-project,modify-project,list-projects,archive-project,createChatCompletion"
)
AUTH = {"authorization": "Bearer sk-conformance-test"}


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")


@contextmanager
def proxy_in_front(spec, *faults: str, cassette: Path | None = None) -> Iterator[tuple[Proxy, str]]:
    """The emulator (with `faults`) on 127.0.0.1, the proxy in front (recording to `cassette`);
    yields the proxy and its /v1 URL."""
    with serve(create_app(spec, faults=faults)) as emulator:
        upstream = emulator.url + "/v1"
        writer = CassetteWriter(cassette, upstream, spec) if cassette is not None else None
        with proxied(spec, upstream, writer) as found:
            yield found


def run(base: str, report_dir: Path, include: str, *extra: str) -> int:
    return main(
        ["run", "--target", base, "--target-kind", "test-server", "--include", include]
        + ["--max-examples", "1", "--report-dir", str(report_dir), *extra]
    )


def transcribe(base: str, stream: str) -> httpx.Response:
    return httpx.post(
        base + "/audio/transcriptions",
        headers=AUTH,
        data={"model": "gpt-4o-mini-transcribe", "stream": stream, "temperature": "0"},
        files={"file": ("a.wav", media.audio("wav"), "audio/wav")},
        timeout=30,
    )


def multipart_by_hand(base: str) -> None:
    """Multipart uploads with stream fields both ways, sent as the SDK sends them (form strings)."""
    assert transcribe(base, "true").headers["content-type"].startswith("text/event-stream")
    assert transcribe(base, "false").headers["content-type"].startswith("application/json")
    edit = httpx.post(
        base + "/images/edits",
        headers=AUTH,
        data={"model": "gpt-image-1", "prompt": "a hat", "stream": "true", "partial_images": "1"},
        files={"image": ("in.png", media.image("png"), "image/png")},
        timeout=30,
    )
    assert edit.headers["content-type"].startswith("text/event-stream"), edit.text
    upload = httpx.post(
        base + "/files",
        headers=AUTH,
        data={"purpose": "batch"},
        files={"file": ("b.jsonl", b'{"custom_id": "1"}\n', "application/jsonl")},
        timeout=30,
    )
    assert upload.status_code == 200, upload.text


def new_findings(proxy: Proxy) -> list[dict[str, Any]]:
    return [v for v in proxy.violations() if not v.get("known_deviation")]


def test_the_proxy_finds_nothing_the_run_does_not_on_the_clean_emulator(spec, tmp_path, capsys):
    cassette = tmp_path / "traffic.jsonl"
    with proxy_in_front(spec, cassette=cassette) as (proxy, base):
        code = run(base, tmp_path, OPERATIONS)
        multipart_by_hand(base)
    results = read_results(tmp_path)
    assert (code, results["counts"]["new_violations"]) == (EXIT_OK, 0), capsys.readouterr().out
    judged = {r.operation_id for r in proxy.results.operations if r.requests}
    assert set(OPERATIONS.split(",")) <= judged
    assert proxy.observer.exchanges >= results["requests_sent"] + 4 > 50
    assert new_findings(proxy) == [], "\n".join(proxy.lines)
    assert proxy.results.exit_code == EXIT_OK
    # its redacted cassette judges the same: ids keep their shape, no JSON body is cut
    again = replay(cassette, spec, printer=None)
    assert again.exchanges == proxy.observer.exchanges
    assert [v for v in again.results.violations() if not v.get("known_deviation")] == []


def test_the_proxy_catches_a_multipart_stream_labelled_json(spec):
    """stream-content-type labels streams application/json: only a proxy that reads the multipart
    `stream=true` as `stream: true` can tell that createTranscription should have streamed."""
    with proxy_in_front(spec, "stream-content-type") as (proxy, base):
        transcribe(base, "true")
        transcribe(base, "false")
    found = {(v["check"], v["message"]) for v in new_findings(proxy)}
    assert ("response.content_type", "a `stream: true` request should answer text/event-stream") in found
    assert proxy.results.exit_code == EXIT_VIOLATIONS


@pytest.mark.parametrize("name", ["wrong-object-constant", "completed-at-missing"])
def test_the_proxy_and_the_run_both_catch_a_fault(spec, tmp_path, name):
    """A schema fault, and a lifecycle one the proxy sees in single answers (a completed run without
    completed_at): the proxy finds what the run finds, no more and no less."""
    fault = FAULTS[name]
    with proxy_in_front(spec, name) as (proxy, base):
        code = run(base, tmp_path, ",".join(fault.operations), "--phases", ",".join(fault.phases))
    assert code == EXIT_VIOLATIONS
    ran = read_results(tmp_path)["operations"]
    by_run = {v["check"] for r in ran for v in r["violations"] if not v.get("known_deviation")}
    by_proxy = {v["check"] for v in new_findings(proxy)}
    assert fault.check in by_proxy
    assert by_proxy == by_run, "\n".join(proxy.lines)
