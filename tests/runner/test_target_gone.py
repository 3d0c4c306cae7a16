"""A target that dies mid-run (Prism 5 did, on a multipart field name with a `;`): the run stops with
exit 3 and names one cause, the request the target left unanswered, instead of a transport finding for
it and for every refused connection after it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from tests.runner.support import read_results

MODELS = {
    "object": "list",
    "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "openai"}],
}


class DyingServer:
    """HTTP/1.1 on 127.0.0.1 that answers `GET /models` and dies at the first `/models/{id}`: that
    connection closes without an answer and nothing listens on the port any more."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.killer: str | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed: the target is gone
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                method, path = head.split(b" ", 2)[:2]
                if path.startswith(b"/v1/models/"):
                    self.killer = f"{method.decode()} {path.decode()}"
                    self.sock.close()
                    return
                body = json.dumps(MODELS).encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: req_1\r\n"
                    b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def dying() -> Iterator[DyingServer]:
    server = DyingServer()
    yield server
    server.close()


def test_a_target_that_dies_is_one_stop_naming_what_it_left_unanswered(
    dying: DyingServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    code = main(
        ["run", "--target", f"http://127.0.0.1:{dying.port}/v1", "--include", "listModels,retrieveModel"]
        + ["--phases", "examples,positive", "--max-examples", "3", "--report-dir", str(tmp_path)]
        + ["--progress", "false"]
    )
    assert code == 3
    assert dying.killer is not None and dying.killer.startswith("GET /v1/models/")
    rows = read_results(tmp_path)["operations"]
    # no transport finding: neither for the request the target died on nor for the refusals after it
    assert not [v for r in rows for v in r["violations"] if v["check"] == "transport"]
    stopped = [r for r in rows if (r["reason"] or "").startswith("run stopped: ")]
    # the phase it died in says so, and so does the phase that found it gone
    (died,) = [r for r in stopped if r["operation_id"] == "retrieveModel" and r["phase"] == "examples"]
    assert ("listModels", "positive") in {(r["operation_id"], r["phase"]) for r in stopped}
    cause = died["reason"].removeprefix("run stopped: ")
    assert f"target http://127.0.0.1:{dying.port}/v1 is unreachable: " in cause, cause
    assert "(after GET /models/" in cause and "(retrieveModel) went unanswered: RemoteProtocolError" in cause
    assert {r["reason"] for r in stopped} == {died["reason"]}  # the same one cause everywhere
    summary = (tmp_path / "latest" / "summary.md").read_text()
    assert "ERROR: target unreachable" in summary and f"**The run stopped: {cause}.**" in summary
