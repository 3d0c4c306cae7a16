"""The models registry: default names, a target's /models list, and what each operation accepts."""

from __future__ import annotations

from hypothesis import given, settings

from conformance import strategies
from conformance.spec import Spec
from conformance.strategies.models import Models, category_of
from conformance.strategies.state import State


def test_categories_from_names() -> None:
    assert category_of("text-embedding-3-small") == "embedding"
    assert category_of("whisper-1") == "transcription"
    assert category_of("gpt-4o-mini") == "chat"
    assert category_of("dall-e-3") == "image"


def test_registry_from_a_models_list_response() -> None:
    body = {"object": "list", "data": [{"id": "local-llama", "object": "model"}, {"id": "my-embedding-v1"}]}
    models = Models.from_list_response(body)
    assert models.names("chat") == ("local-llama",)
    assert models.names("embedding") == ("my-embedding-v1",)
    assert Models.from_list_response({"data": []}).names("chat")  # an empty list keeps the defaults


def test_chat_requests_carry_registry_models(spec: Spec, generator: strategies.Generator) -> None:
    names = set(Models().names())

    @settings(max_examples=10, derandomize=True, database=None, deadline=None)
    @given(strategies.requests("createEmbedding", spec=spec))
    def run(request: strategies.Request) -> None:
        assert request.body["model"] in names

    run()
    assert generator.model_names(spec.operation("createEmbedding"))[0] == "text-embedding-3-small"


def test_enum_restricted_model_fields_keep_only_accepted_names(
    spec: Spec, generator: strategies.Generator
) -> None:
    # createTranslation documents `model` as an enum (whisper-1) or a string: every name fits, the
    # transcription models come first; createSpeech accepts any string and prefers TTS models.
    assert generator.model_names(spec.operation("createTranslation"))[0] == "whisper-1"
    assert generator.model_names(spec.operation("createSpeech"))[0] == "gpt-4o-mini-tts"


def test_a_target_registry_in_the_state_wins(spec: Spec) -> None:
    state = State(models=Models.from_list_response({"data": [{"id": "local-llama"}]}))

    @settings(max_examples=10, derandomize=True, database=None, deadline=None)
    @given(strategies.requests("createChatCompletion", state=state, spec=spec))
    def run(request: strategies.Request) -> None:
        assert request.body["model"] == "local-llama"

    run()


def test_metadata_stays_within_the_documented_limits(spec: Spec) -> None:
    seen = []

    @settings(max_examples=60, derandomize=True, database=None, deadline=None)
    @given(strategies.requests("createVectorStore", spec=spec))
    def run(request: strategies.Request) -> None:
        metadata = (request.body or {}).get("metadata")
        if isinstance(metadata, dict):
            seen.append(metadata)
            assert len(metadata) <= 16
            assert all(len(k) <= 64 and isinstance(v, str) and len(v) <= 512 for k, v in metadata.items())

    run()
    assert seen  # metadata was drawn at all
