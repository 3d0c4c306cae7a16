from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance import __version__
from conformance.cli import main
from tests.spec_paths import FIXTURES


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], capture_output=True, text=True, timeout=120
    )


def test_spec_info_json(capsys):
    assert main(["spec", "info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["operations"] == 271
    assert data["source"] == "openai" and len(data["sha256"]) == 64
    assert data["list_operations"] >= 40 and data["streaming_operations"] >= 5
    assert data["operations_per_tag"]["Assistants"] >= 20
    assert data["normalisations"]["nullable"] > 100


def test_spec_info_text_verbose(capsys):
    assert main(["spec", "info", "--spec", str(FIXTURES / "mini31.yaml"), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "Mini 3.1 0.0.1" in out
    assert "query-in-path-key x1" in out and "at #/paths/~1widgets~1{widget_id}?beta=true" in out
    assert "error-responses" in out
    assert "list operations: listWidgets" in out


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and __version__ in result.stdout


@pytest.mark.parametrize("command", [[], ["spec"], ["spec", "info"]])
def test_help_on_every_command(command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["spec", "info", "--spec", "/no/such/spec.yaml"], "no such file"),
        (["spec", "info", "--spec", str(FIXTURES)], "is a directory"),
        (["spec", "info", "--nope"], "unrecognized arguments: --nope"),
    ],
)
def test_bad_input_is_one_line(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_yaml_is_one_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("openapi: 3.1.0\npaths: {a: [\n")
    result = run_cli("spec", "info", "--spec", str(bad))
    assert result.returncode == 2 and "invalid YAML" in result.stderr and str(bad) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_closed_pipe_is_not_a_traceback():
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "spec", "info", "--verbose"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader goes away before the command writes (`| head`)
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_spec_info_verbose_lists_the_skipped_overlay_entries(tmp_path, capsys):
    path = tmp_path / "bare.json"
    path.write_text('{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}')
    assert main(["spec", "info", "--spec", str(path), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "overlay entries skipped (their target is not in this spec):" in out
    assert "  documented-limits: CreateUploadRequest (the spec has no such schema)" in out
