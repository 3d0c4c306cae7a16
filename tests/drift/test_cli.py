"""`openai-conformance spec diff` and `openai-conformance profiles`: output and exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.spec import Spec


@pytest.fixture(scope="module")
def edited(openai_spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default spec with one breaking change in the chat profile and one outside it."""
    document = copy.deepcopy(openai_spec.document)
    del document["components"]["schemas"]["Model"]["properties"]["owned_by"]
    document["components"]["schemas"]["Model"]["required"].remove("owned_by")
    del document["paths"]["/batches"]["post"]
    path = tmp_path_factory.mktemp("cli") / "edited.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_diff_of_a_spec_with_itself_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "diff", "openai", "openai"]) == 0
    out = capsys.readouterr().out
    assert "changes: 0 breaking, 0 non-breaking" in out


def test_a_breaking_diff_exits_1_and_names_operations_and_checks(
    edited: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "diff", "openai", edited]) == 1
    out = capsys.readouterr().out
    assert "REMOVED OPERATIONS (1, breaking):" in out and "createBatch" in out
    assert "response-field-removed: Model.owned_by: owned_by removed" in out
    assert "operations: listModels, retrieveModel" in out
    assert "checks: response.schema" in out


def test_diff_json(edited: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "diff", "openai", edited, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["breaking"] == 2 and data["summary"]["operations_removed"] == 1
    assert data["operations"]["removed"] == [{"id": "createBatch", "method": "POST", "path": "/batches"}]
    kinds = {(c["kind"], c["where"]) for c in data["changes"]}
    assert kinds == {("operation-removed", "POST /batches"), ("response-field-removed", "Model.owned_by")}
    assert data["old"]["sha256"] != data["new"]["sha256"]


def test_diff_limited_to_a_profile(edited: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The batch removal is outside `chat`; the model change is inside it."""
    assert main(["spec", "diff", "openai", edited, "--profile", "chat", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [c["where"] for c in data["changes"]] == ["Model.owned_by"]
    assert data["profile"] == "chat"
    assert main(["spec", "diff", "openai", edited, "--profile", "assistants"]) == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["spec", "diff", "openai", "/no/such/spec.yaml"],
        ["spec", "diff", "openai"],
        ["spec", "diff", "openai", "openai", "--profile", "nope"],
        ["profiles", "show", "nope"],
        ["profiles", "show", "/no/such/profile.yaml"],
        ["profiles", "frobnicate"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error" in err and "Traceback" not in err


def test_bad_yaml_spec_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.1.0\npaths: [\n", encoding="utf-8")
    assert main(["spec", "diff", str(bad), "openai"]) == 2
    assert "invalid YAML" in capsys.readouterr().err


def test_profiles_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "list", "--json"]) == 0
    data = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert data["full"]["selected"] == 271 and data["chat"]["selected"] == 4
    assert data["groq"]["base_url"] == "https://api.groq.com/openai/v1"
    assert main(["profiles", "list"]) == 0
    assert "chat" in capsys.readouterr().out


def test_profiles_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "show", "chat"]) == 0
    out = capsys.readouterr().out
    assert "operations: 4 of 271" in out and "POST   /chat/completions  createChatCompletion" in out
    assert "error.envelope:type" in out
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\ndescription: d\noperations: {ids: [listModels, gone]}\n", encoding="utf-8")
    assert main(["profiles", "show", str(mine), "--json"]) == 0
    captured = capsys.readouterr()
    assert [op["id"] for op in json.loads(captured.out)["selected"]] == ["listModels"]
    assert "warning: profile mine: operations: no operation 'gone' in this spec" in captured.err
