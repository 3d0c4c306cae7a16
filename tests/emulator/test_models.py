"""Model endpoints through the official SDK: chat, completions, embeddings, moderations, models,
responses, images and audio. Every response must validate against the spec (the app's self-check)."""

from __future__ import annotations

import base64
import io
import json
import struct
import wave

import openai
import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient

from conformance.emulator import textgen
from conformance.emulator.synth import synthesizer
from tests.emulator.support import KEY, assert_error, sdk

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
            "required": ["city", "days"],
            "additionalProperties": False,
        },
    },
}


class Person(BaseModel):
    name: str
    age: int
    tags: list[str]


# -- chat ------------------------------------------------------------------------------------------------


def test_chat_reply_is_deterministic_and_usage_adds_up(client: openai.OpenAI) -> None:
    ask = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is 2+2?"}]}
    first = client.chat.completions.create(**ask)
    second = client.chat.completions.create(**ask)
    assert first.id != second.id and first.id.startswith("chatcmpl-")
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.choices[0].message.content == textgen.REPLY_PREFIX + "What is 2+2?"
    assert first.choices[0].finish_reason == "stop" and first.model == "gpt-4o-mini"
    usage = first.usage
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.completion_tokens == textgen.count(first.choices[0].message.content)


def test_chat_logprobs(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], logprobs=True, top_logprobs=2
    )
    content = answer.choices[0].logprobs.content
    assert "".join(t.token for t in content) == answer.choices[0].message.content
    assert all(
        len(t.top_logprobs) == 2 and t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob for t in content
    )
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert plain.choices[0].logprobs is None


def test_chat_n_choices_and_max_tokens(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "tell me a long story"}], n=3, max_tokens=4
    )
    assert [c.index for c in answer.choices] == [0, 1, 2]
    assert all(c.finish_reason == "length" for c in answer.choices)
    assert answer.usage is not None and answer.usage.completion_tokens == 3 * 4


def test_chat_stream_ends_with_done_and_reports_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Stream this please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == textgen.REPLY_PREFIX + "Stream this please"
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert len({c.id for c in chunks}) == 1


def test_chat_stream_chunks_validate_against_the_spec(http, openai_spec) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    answer = http.post("/chat/completions", json=body, params={})
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [line for line in answer.text.split("\n\n") if line.strip()]
    assert events[-1] == "data: [DONE]"
    chunk_schema = openai_spec.pointer("#/components/schemas/CreateChatCompletionStreamResponse")
    synth = synthesizer(openai_spec)
    for event in events[:-1]:
        chunk = json.loads(event.removeprefix("data: "))
        assert "usage" not in chunk  # only with stream_options.include_usage
        assert synth.errors(chunk_schema, chunk) == []


def test_chat_tool_call_then_answer(client: openai.OpenAI) -> None:
    messages: list = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.id.startswith("call_")
    arguments = json.loads(call.function.arguments)
    assert (
        isinstance(arguments["city"], str) and arguments["days"] >= 1 and set(arguments) == {"city", "days"}
    )
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    second = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content


def test_chat_tool_choice_none_and_streamed_tool_call(client: openai.OpenAI) -> None:
    plain = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], tools=[WEATHER], tool_choice="none"
    )
    assert plain.choices[0].message.tool_calls is None
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], tools=[WEATHER], stream=True
    )
    arguments = ""
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            arguments += call.function.arguments or ""
    assert set(json.loads(arguments)) == {"city", "days"}


def test_chat_structured_output_fits_the_schema(client: openai.OpenAI) -> None:
    parsed = client.chat.completions.parse(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "a person"}], response_format=Person
    )
    person = parsed.choices[0].message.parsed
    assert isinstance(person, Person) and len(person.tags) == 0
    obj = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "json please"}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(obj.choices[0].message.content or ""), dict)


def test_stored_chat_completions(client: openai.OpenAI) -> None:
    made = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "remember me"}],
        store=True,
        metadata={"t": "1"},
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "not stored"}])
    listed = client.chat.completions.list()
    assert [c.id for c in listed.data] == [made.id]
    assert (
        client.chat.completions.retrieve(made.id).choices[0].message.content
        == made.choices[0].message.content
    )
    messages = client.chat.completions.messages.list(made.id)
    assert [m.content for m in messages.data] == ["remember me"]
    updated = client.chat.completions.update(made.id, metadata={"t": "2"})
    assert updated.metadata == {"t": "2"}
    assert [c.id for c in client.chat.completions.list(metadata={"t": "2"}).data] == [made.id]
    assert client.chat.completions.delete(made.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(made.id)


def test_chat_without_messages_is_a_400(http) -> None:
    assert_error(http.post("/chat/completions", json={"model": "gpt-4o-mini", "messages": []}), 400)


# -- completions, embeddings, moderations, models ----------------------------------------------------------


def test_legacy_completion(client: openai.OpenAI) -> None:
    answer = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi", max_tokens=3, n=2)
    assert len(answer.choices) == 2 and answer.choices[0].finish_reason == "length"
    assert answer.choices[0].text == "".join(textgen.tokens(textgen.REPLY_PREFIX)[:3])
    assert answer.usage is not None and answer.usage.total_tokens == answer.usage.prompt_tokens + 6
    streamed = "".join(
        c.choices[0].text
        for c in client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi", stream=True)
    )
    assert streamed == textgen.reply("Say hi", 16)[0]


def test_embeddings_are_deterministic_unit_vectors(client: openai.OpenAI) -> None:
    answer = client.embeddings.create(
        model="text-embedding-3-small", input=["alpha", "beta", "alpha"], encoding_format="float"
    )
    vectors = [d.embedding for d in answer.data]
    assert [d.index for d in answer.data] == [0, 1, 2] and len(vectors[0]) == 1536
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1]
    assert abs(sum(v * v for v in vectors[1]) - 1.0) < 1e-4
    small = client.embeddings.create(
        model="text-embedding-3-large", input="x", dimensions=8, encoding_format="float"
    )
    assert len(small.data[0].embedding) == 8
    assert answer.usage.prompt_tokens == answer.usage.total_tokens == 3


def test_embeddings_base64_matches_float(make_app) -> None:
    # The spec types `embedding` as an array only, but the API (and the SDK's default) use base64.
    app = make_app(self_check=False)
    client = sdk(app)
    floats = client.embeddings.create(model="text-embedding-3-small", input="z", encoding_format="float")
    raw = client.with_raw_response.embeddings.create(
        model="text-embedding-3-small", input="z", encoding_format="base64"
    ).http_response.json()
    data = base64.b64decode(raw["data"][0]["embedding"])
    decoded = struct.unpack(f"<{len(data) // 4}f", data)
    assert max(abs(a - b) for a, b in zip(decoded, floats.data[0].embedding, strict=True)) < 1e-6


def test_moderation_flags_trigger_words(client: openai.OpenAI) -> None:
    answer = client.moderations.create(input=["I will kill it", "a nice day"])
    flagged, clean = answer.results
    assert flagged.flagged and flagged.categories.violence and flagged.category_scores.violence > 0.5
    assert not clean.flagged and not clean.categories.violence
    assert answer.id.startswith("modr-") and answer.model == "omni-moderation-latest"


def test_models_list_retrieve_and_delete_rules(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert "gpt-4o-mini" in ids and "text-embedding-3-small" in ids
    assert client.models.retrieve("gpt-4o").owned_by == "system"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o")


# -- responses -------------------------------------------------------------------------------------------


def test_response_create_retrieve_items_delete(client: openai.OpenAI) -> None:
    made = client.responses.create(
        model="gpt-4o-mini", input="Hello there", metadata={"k": "v"}, temperature=0.2
    )
    assert made.status == "completed" and made.output_text == textgen.REPLY_PREFIX + "Hello there"
    assert made.metadata == {"k": "v"} and made.temperature == 0.2 and made.id.startswith("resp_")
    assert (
        made.usage is not None
        and made.usage.total_tokens == made.usage.input_tokens + made.usage.output_tokens
    )
    assert client.responses.retrieve(made.id).output_text == made.output_text
    items = client.responses.input_items.list(made.id)
    assert [i.type for i in items.data] == ["message"]
    client.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)


def test_response_stream_events_have_increasing_sequence_numbers(client: openai.OpenAI) -> None:
    with client.responses.stream(model="gpt-4o-mini", input="Stream me") as stream:
        events = list(stream)
        final = stream.get_final_response()
    numbers = [e.sequence_number for e in events]
    assert numbers == list(range(len(events)))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == final.output_text == textgen.REPLY_PREFIX + "Stream me"


def test_response_function_call_and_structured_output(client: openai.OpenAI) -> None:
    tool = {
        "type": "function",
        "name": "lookup",
        "parameters": WEATHER["function"]["parameters"],
        "strict": True,
    }
    called = client.responses.create(model="gpt-4o-mini", input="weather?", tools=[tool])
    call = called.output[0]
    assert call.type == "function_call" and set(json.loads(call.arguments)) == {"city", "days"}
    follow = client.responses.create(
        model="gpt-4o-mini",
        input=[
            {"role": "user", "content": "weather?"},
            {"type": "function_call", "call_id": call.call_id, "name": "lookup", "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
        tools=[tool],
    )
    assert follow.output[0].type == "message"
    parsed = client.responses.parse(model="gpt-4o-mini", input="a person", text_format=Person)
    assert isinstance(parsed.output_parsed, Person)


def test_background_response_completes_after_run_delay_or_cancels(make_app) -> None:
    from tests.emulator.support import Clock

    clock = Clock()
    client = sdk(make_app(run_delay=5, clock=clock))
    queued = client.responses.create(model="gpt-4o-mini", input="later", background=True)
    assert queued.status == "queued" and queued.output == []
    clock.advance(5)
    done = client.responses.retrieve(queued.id)
    assert done.status == "completed" and done.output_text == textgen.REPLY_PREFIX + "later"
    other = client.responses.create(model="gpt-4o-mini", input="stop", background=True)
    assert client.responses.cancel(other.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(client.responses.create(model="gpt-4o-mini", input="x").id)


def test_input_token_count(client: openai.OpenAI) -> None:
    counted = client.responses.input_tokens.count(model="gpt-4o-mini", input="one two three")
    assert counted.input_tokens == 3


# -- images and audio --------------------------------------------------------------------------------------


def test_image_generation_returns_a_png(client: openai.OpenAI) -> None:
    answer = client.images.generate(model="gpt-image-1", prompt="a cat", n=2)
    assert len(answer.data) == 2 and answer.usage is not None
    png = base64.b64decode(answer.data[0].b64_json or "")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    jpeg = client.images.generate(model="gpt-image-1", prompt="a cat", output_format="jpeg")
    assert base64.b64decode(jpeg.data[0].b64_json or "").startswith(b"\xff\xd8")


def test_image_url_is_served_by_the_emulator(client: openai.OpenAI, http) -> None:
    answer = client.images.generate(model="dall-e-2", prompt="a dog", response_format="url")
    url = answer.data[0].url or ""
    path = url.split("/v1", 1)[1]
    assert http.get(path).content.startswith(b"\x89PNG")


def test_image_edit_and_variation(client: openai.OpenAI) -> None:
    from conformance.emulator import media

    edit = client.images.edit(model="gpt-image-1", image=("in.png", media.png(), "image/png"), prompt="hat")
    assert base64.b64decode(edit.data[0].b64_json or "").startswith(b"\x89PNG")
    variation = client.images.create_variation(image=("in.png", media.png(), "image/png"), n=1)
    assert len(variation.data) == 1


def test_speech_returns_valid_audio(client: openai.OpenAI) -> None:
    wav = client.audio.speech.create(model="tts-1", voice="alloy", input="hello", response_format="wav")
    with wave.open(io.BytesIO(wav.read())) as reader:
        assert reader.getnframes() > 0
    mp3 = client.audio.speech.create(model="tts-1", voice="alloy", input="hello")
    assert mp3.read()[:2] == b"\xff\xfb"


def test_transcription_formats(make_app) -> None:
    from conformance.emulator import media

    # verbose_json cannot validate against the spec's oneOf (see audio.py): no self-check here.
    client = sdk(make_app(self_check=False))
    upload = ("hello.wav", media.wav(), "audio/wav")
    plain = client.audio.transcriptions.create(model="whisper-1", file=upload)
    assert plain.text == f"Transcript of hello.wav ({len(media.wav())} bytes)."
    text = client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="text")
    assert text.strip() == plain.text
    verbose = client.audio.transcriptions.create(
        model="whisper-1", file=upload, response_format="verbose_json"
    )
    assert verbose.duration > 0 and verbose.segments
    srt = client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="srt")
    assert "-->" in srt
    translated = client.audio.translations.create(model="whisper-1", file=upload)
    assert translated.text == plain.text
    streamed = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=upload, stream=True)
    events = list(streamed)
    assert events[-1].type == "transcript.text.done" and events[-1].text == plain.text


def _events(text: str) -> list[dict]:
    found = []
    for block in text.split("\n\n"):
        data = [line.removeprefix("data: ") for line in block.splitlines() if line.startswith("data: ")]
        if data and data[0] != "[DONE]":
            found.append(json.loads(data[0]))
    return found


@pytest.mark.parametrize(
    ("operation_id", "path", "body", "last"),
    [
        (
            "createImage",
            "/images/generations",
            {"model": "gpt-image-1", "prompt": "a cat", "stream": True, "partial_images": 2},
            "image_generation.completed",
        ),
        (
            "createSpeech",
            "/audio/speech",
            {"model": "gpt-4o-mini-tts", "input": "hello", "voice": "alloy", "stream_format": "sse"},
            "speech.audio.done",
        ),
        (
            "createResponse",
            "/responses",
            {"model": "gpt-4o-mini", "input": "hi", "stream": True},
            "response.completed",
        ),
    ],
)
def test_stream_events_validate_against_the_spec(
    make_app, openai_spec, operation_id, path, body, last
) -> None:
    app = make_app(spec_literal=True)  # by the letter of the spec (the default has the real API's nulls)
    http = TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})
    answer = http.post(path, json=body)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    events = _events(answer.text)
    schema = openai_spec.operation(operation_id).responses["200"].content["text/event-stream"]
    synth = synthesizer(openai_spec)
    assert events and events[-1]["type"] == last
    for event in events:
        assert synth.errors(schema, event) == [], event["type"]
    if operation_id == "createImage":
        assert [e["type"] for e in events].count("image_generation.partial_image") == 2


def test_responses_chain_and_conversations(client: openai.OpenAI) -> None:
    first = client.responses.create(model="gpt-4o-mini", input="first question")
    second = client.responses.create(model="gpt-4o-mini", input="second", previous_response_id=first.id)
    assert second.output_text == textgen.REPLY_PREFIX + "second"
    assert second.usage is not None and first.usage is not None
    assert second.usage.input_tokens == first.usage.total_tokens + textgen.count("second")
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-4o-mini", input="x", previous_response_id="resp_missing")
    conversation = client.conversations.create()
    turn = client.responses.create(model="gpt-4o-mini", input="hello", conversation=conversation.id)
    assert turn.conversation is not None and turn.conversation.id == conversation.id
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [(i.role, i.content[0].text) for i in items] == [
        ("user", "hello"),
        ("assistant", turn.output_text),
    ]
