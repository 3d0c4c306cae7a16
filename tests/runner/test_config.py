from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import ConformanceError
from conformance.runner.config import PHASES, RunConfig, resolve


def test_defaults_without_any_source() -> None:
    config = resolve({}, environ={}, pyproject=False)
    assert config == RunConfig()
    assert config.target == "emulator" and config.is_emulator
    assert config.phases == list(PHASES)


def test_command_line_beats_environment_beats_pyproject(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.openai-conformance]\nmax-examples = 7\nseed = 3\ninclude = ["Assistants", "Files"]\nread_only = true\n'
    )
    environ = {"OPENAI_CONFORMANCE_MAX_EXAMPLES": "9", "OPENAI_CONFORMANCE_SEED": "4"}
    config = resolve({"seed": "5"}, environ=environ, pyproject=pyproject)
    assert config.seed == 5 and config.sources["seed"] == "--seed"
    assert config.max_examples == 9 and config.sources["max_examples"] == "OPENAI_CONFORMANCE_MAX_EXAMPLES"
    assert config.include == ["Assistants", "Files"]
    assert config.read_only is True


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"max_examples": "0"}, "--max-examples: invalid value '0'"),
        ({"phases": "positive,fuzzing"}, "unknown phase 'fuzzing'"),
        ({"shard": "3/2"}, "--shard"),
        ({"target": "ftp://example.com"}, "--target"),
        ({"rate_limit": "-1"}, "--rate-limit"),
        ({"workers": "many"}, "--workers"),
    ],
)
def test_bad_values_name_the_option(given: dict, message: str) -> None:
    with pytest.raises(ConformanceError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        resolve(given, environ={}, pyproject=False)
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConformanceError, match="OPENAI_CONFORMANCE_TIMEOUT"):
        resolve({}, environ={"OPENAI_CONFORMANCE_TIMEOUT": "soon"}, pyproject=False)


def test_unknown_pyproject_key(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.openai-conformance]\nmax_exemples = 3\n")
    with pytest.raises(ConformanceError, match="unknown option 'max_exemples'"):
        resolve({}, environ={}, pyproject=pyproject)


def test_to_args_round_trips() -> None:
    config = resolve(
        {
            "target": "http://127.0.0.1:9/v1",
            "include": "a,b",
            "shard": "2/3",
            "read_only": "true",
            "max_examples": "4",
        },
        environ={},
        pyproject=False,
    )
    flags = dict(arg.removeprefix("--oc-").split("=", 1) for arg in config.to_args())
    assert all(arg.startswith("--oc-") for arg in config.to_args())
    again = resolve({k.replace("-", "_"): v for k, v in flags.items()}, environ={}, pyproject=False)
    assert again.public() == config.public()


def test_public_options_never_hold_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    config = resolve({"target": "https://api.openai.com/v1"}, pyproject=False)
    assert config.api_key() == "sk-secret-value"
    assert "sk-secret-value" not in repr(config.public())


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("emulator", "test-server"),
        ("emulator-http", "test-server"),
        ("http://127.0.0.1:8080/v1", "test-server"),
        ("http://localhost:8000/v1", "test-server"),
        ("https://api.openai.com/v1", "real-account"),
        ("https://llm.example.com/v1", "real-account"),
    ],
)
def test_the_target_kind_follows_the_target(target: str, kind: str) -> None:
    config = resolve({"target": target}, environ={}, pyproject=False)
    assert config.kind == kind and config.real_account is (kind == "real-account")
    assert config.public()["target_kind"] == kind


def test_the_target_kind_comes_from_every_source(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.openai-conformance]\ntarget-kind = "test-server"\n')
    local = {"target": "https://staging.example.com/v1"}
    assert resolve(local, environ={}, pyproject=pyproject).kind == "test-server"
    environ = {"OPENAI_CONFORMANCE_TARGET_KIND": "real-account"}
    config = resolve({"target": "http://127.0.0.1:9/v1"}, environ=environ, pyproject=pyproject)
    assert config.kind == "real-account" and config.sources["target_kind"] == "OPENAI_CONFORMANCE_TARGET_KIND"
    config = resolve({**local, "target_kind": "real-account"}, environ={}, pyproject=pyproject)
    assert config.kind == "real-account" and config.to_args()[-1] == "--oc-target-kind=real-account"
    with pytest.raises(ConformanceError, match="--target-kind: invalid value 'paid'"):
        resolve({"target_kind": "paid"}, environ={}, pyproject=False)
