"""What the run creates is tagged and deleted at the end, also after a failure or Ctrl-C; nothing else is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import openai
import pytest

from conformance.emulator import create_app
from conformance.runner.config import resolve
from conformance.runner.safety import TAG_KEY
from conformance.runner.session import Session


@pytest.fixture
def emulator_url(serve, openai_spec) -> str:
    return serve(create_app(spec=openai_spec))


def sdk(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key="sk-conformance-test", max_retries=0)


def tagged(client: openai.OpenAI) -> list:
    return [a for a in client.beta.assistants.list(limit=100).data if (a.metadata or {}).get(TAG_KEY)]


def test_interrupted_session_deletes_only_what_it_created(emulator_url, openai_spec, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    client = sdk(emulator_url)
    theirs = client.beta.assistants.create(model="gpt-4o", name="not the run's")
    their_thread = client.beta.threads.create()
    config = resolve(
        {"target": emulator_url, "max_examples": "5", "include": "Assistants"}, environ={}, pyproject=False
    )
    session = Session(config, openai_spec)
    created_seen: list[str] = []

    def interrupt(exchange, operation, violations) -> None:
        if (
            exchange.request.method == "POST"
            and exchange.response.status == 200
            and exchange.response.is_json
        ):
            created_seen.append(exchange.response.json().get("id"))
        if len(session.resources.live()) >= 4:
            raise KeyboardInterrupt

    session.listeners.append(interrupt)
    with pytest.raises(KeyboardInterrupt):
        for op_id in ("createAssistant", "createThread", "createMessage", "getMessage"):
            session.run(op_id, "positive")
    ours = [obj for obj in session.resources.created if not obj.borrowed]
    assert len(ours) >= 4
    assert all(
        client.beta.assistants.retrieve(a.id).metadata.get(TAG_KEY) == session.run_id for a in tagged(client)
    )
    session.close()
    assert tagged(client) == []  # every assistant the run created is gone
    gone = [obj for obj in ours if obj.template == "/threads/{thread_id}"]
    for obj in gone:
        with pytest.raises(openai.NotFoundError):
            client.beta.threads.retrieve(obj.id)
    assert client.beta.assistants.retrieve(theirs.id).name == "not the run's"
    assert client.beta.threads.retrieve(their_thread.id).id == their_thread.id
    assert {path for path, status in session.cleaned} == {obj.path for obj in ours if obj.cleanup is not None}


@pytest.mark.parametrize(("stop", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_during_run_cleans_up(emulator_url, tmp_path, stop, exit_code) -> None:
    client = sdk(emulator_url)
    theirs = client.beta.assistants.create(model="gpt-4o", name="keep me")
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--target",
        emulator_url,
        "--include",
        "Assistants",
        "--max-examples",
        "50",
        "--phases",
        "positive",
        "--report-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "OPENAI_API_KEY": "sk-conformance-test", "CI": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 60
        while not tagged(client):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run created nothing within 60 s"
            time.sleep(0.1)
        process.send_signal(stop)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == exit_code, out + err
    assert tagged(client) == [], out + err
    assert (tmp_path / "latest" / "results.json").is_file(), "the partial reports are written"
    assert client.beta.assistants.retrieve(theirs.id).name == "keep me"


def test_sigterm_while_a_run_waits_on_a_poll_writes_the_partial_report(serve, openai_spec, tmp_path) -> None:
    """A CI `timeout` during a long wait: the wait is visible (a heartbeat), and SIGTERM still gives
    exit 143 with the reports, and what the run created is gone."""
    app = create_app(spec=openai_spec, run_delay=3600)  # runs stay queued for an hour
    url = serve(app)
    command = [
        *(sys.executable, "-m", "conformance", "run", "--target", url, "--target-kind", "test-server"),
        *("--include", "createRun", "--phases", "scenarios", "--report-dir", str(tmp_path)),
    ]
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-conformance-test",
        "CI": "1",
        "OPENAI_CONFORMANCE_POLL_INTERVAL": "0.2",
        "OPENAI_CONFORMANCE_POLL_HEARTBEAT": "0.5",
    }
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    heard: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert process.stderr is not None
        for line in process.stderr:
            heard.append(line)
            if "waiting for thread.run" in line:
                break
            assert time.monotonic() < deadline, "no heartbeat within 60 s"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, out + "".join(heard) + err
    assert any("status 'queued'" in line for line in heard), heard
    assert (tmp_path / "latest" / "results.json").is_file(), "the partial reports are written"
    assert tagged(sdk(url)) == []
