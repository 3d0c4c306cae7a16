"""Relaxations where the real API differs from its spec (found running the suite against the emulator):
speech events on `stream_format: sse`, text transcripts, the overlapping transcription union, and the
null `finish_reason` of completion chunks. Each test also shows the check still fires next door."""

from __future__ import annotations

from tests.checks import check_bodies as b

TRANSCRIPT = "Transcript of audio.wav (1644 bytes)."
SPEECH = {"model": "gpt-4o-mini-tts", "input": "Hello", "voice": "alloy"}


def speech(judge, request_body, content_type):
    exchange = b.exchange(
        "POST",
        "/audio/speech",
        200,
        operation_id="createSpeech",
        request_body=request_body,
        content_type=content_type,
        content=b'event: speech.audio.done\ndata: {"type":"speech.audio.done"}\n\n',
    )
    return judge(exchange, ["response.content_type"])


def test_speech_events_on_stream_format_sse_pass(judge) -> None:
    assert speech(judge, {**SPEECH, "stream_format": "sse"}, "text/event-stream") == []


def test_speech_events_without_asking_are_still_reported(judge) -> None:
    found = speech(judge, SPEECH, "text/event-stream")
    assert [v.message for v in found] == [
        "the answer streams although the request did not ask for `stream: true`"
    ]


def audio(judge, operation_id, request_body, body=None, content_type="application/json", content=None):
    path = "/audio/translations" if operation_id == "createTranslation" else "/audio/transcriptions"
    exchange = b.exchange(
        "POST",
        path,
        200,
        body,
        operation_id=operation_id,
        request_body=request_body,
        content_type=content_type,
        content=content,
    )
    return judge(exchange, ["response.content_type", "response.schema"])


def test_text_transcript_formats_may_answer_text_plain(judge) -> None:
    for operation_id in ("createTranslation", "createTranscription"):
        for fmt in ("text", "srt", "vtt"):
            request = {"model": "whisper-1", "response_format": fmt}
            found = audio(judge, operation_id, request, content_type="text/plain", content=b"hi\n")
            assert found == [], (operation_id, fmt, found)


def test_text_plain_for_a_json_format_is_still_reported(judge) -> None:
    request = {"model": "whisper-1", "response_format": "json"}
    found = audio(judge, "createTranslation", request, content_type="text/plain", content=b"hi")
    assert [v.check for v in found] == ["response.content_type"]


DIARIZED = {
    "task": "transcribe",
    "duration": 1.5,
    "text": TRANSCRIPT,
    "segments": [
        {
            "type": "transcript.text.segment",
            "id": "seg_0",
            "start": 0.0,
            "end": 1.5,
            "text": TRANSCRIPT,
            "speaker": "A",
        }
    ],
}


def test_a_diarized_answer_matching_two_union_branches_passes(judge, openai_spec) -> None:
    from conformance.checks.validation import validate

    union = openai_spec.operation("createTranscription").responses["200"].content["application/json"]
    assert validate(openai_spec, union, DIARIZED), "the spec's oneOf rejects every diarized answer"
    request = {"model": "gpt-4o-transcribe-diarize", "response_format": "diarized_json"}
    assert audio(judge, "createTranscription", request, DIARIZED) == []


def test_an_answer_fitting_no_union_branch_is_still_reported(judge) -> None:
    request = {"model": "whisper-1", "response_format": "json"}
    found = audio(judge, "createTranscription", request, {"duration": 1.5})
    assert [v.check for v in found] == ["response.schema"]


COMPLETION = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this", "stream": True}


def completion_chunk(text: str, finish_reason: str | None) -> dict:
    return {
        "id": "cmpl-abc123",
        "object": "text_completion",
        "created": b.NOW,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}],
    }


def completion_stream(judge, chunks):
    exchange = b.exchange(
        "POST",
        "/completions",
        200,
        operation_id="createCompletion",
        request_body=COMPLETION,
        content_type="text/event-stream",
        events=b.data_events(chunks),
    )
    return judge(exchange, ["sse.stream"])


def test_completion_chunks_may_carry_a_null_finish_reason_until_the_last(judge) -> None:
    chunks = [completion_chunk("This", None), completion_chunk(" is", None), completion_chunk("", "stop")]
    assert completion_stream(judge, chunks) == []


def test_a_completion_stream_that_never_finishes_is_still_reported(judge) -> None:
    found = completion_stream(judge, [completion_chunk("This", None)])
    assert [v.message for v in found] == ["choice 0 never got a finish_reason"]


def fine_tune_rejected(judge, sent: str, message: str):
    body = b.error(message=message, param="training_file")
    exchange = b.exchange(
        "POST",
        "/fine_tuning/jobs",
        400,
        body,
        operation_id="createFineTuningJob",
        request_body={"training_file": sent, "model": "gpt-4o-mini"},
    )
    return judge(exchange, ["positive.accepted"])


def test_a_400_naming_a_sent_id_that_does_not_exist_passes(judge) -> None:
    sent = "file-BK7bzQj3FfZFXr7DbL6xJwfo"  # the spec's own example: no such file on the target
    assert fine_tune_rejected(judge, sent, f"invalid training_file: {sent}") == []


def test_a_400_naming_any_sent_training_file_passes(judge) -> None:
    # the spec's other example, and a generated string: the description says the field is an ID
    for sent in (
        "file-abc123",
        "3\u00deb\u00ce1",
        "\u00b2W",
    ):  # "²W": the param names the field, so 2 chars count
        assert fine_tune_rejected(judge, sent, f"invalid training_file: {sent}") == []


def test_a_400_not_quoting_the_id_or_about_a_non_id_field_still_fires(judge) -> None:
    found = fine_tune_rejected(judge, "file-BK7bzQj3FfZFXr7DbL6xJwfo", "training_file must be a JSONL file")
    assert [v.check for v in found] == ["positive.accepted"]
    body = b.error(message="invalid model: gpt-x", param="model")
    exchange = b.exchange(
        "POST",
        "/fine_tuning/jobs",
        400,
        body,
        operation_id="createFineTuningJob",
        request_body={"training_file": "file-abc123", "model": "gpt-x"},
    )
    assert [v.check for v in judge(exchange, ["positive.accepted"])] == ["positive.accepted"]


def batch_rejected(judge, message: str, model_field: bool = False):
    body = b.error(message=message, param=None, code="bad_request")
    request = {"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    exchange = b.exchange("POST", "/batches", 400, body, operation_id="createBatch", request_body=request)
    return judge(exchange, ["positive.accepted"])


def test_a_400_without_param_quoting_a_sent_id_passes(judge) -> None:
    """llmock 0.2.2: `Input file 'file-abc123' not found.` with `param: null`: state, not schema."""
    assert batch_rejected(judge, "Input file 'file-abc123' not found.") == []
    found = batch_rejected(judge, "completion_window '24h' is not supported")  # not an ID field
    assert [v.check for v in found] == ["positive.accepted"]
