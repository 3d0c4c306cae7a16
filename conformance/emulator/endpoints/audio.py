"""Audio: speech answers a short valid file in the requested format; transcription and translation
of an uploaded file answer a deterministic transcript in the requested `response_format`.

The transcript names the upload (`Transcript of <filename> (<bytes> bytes).`), so a test can tell
which file was heard. `stream: true` (transcription) and `stream_format: sse` (speech) send the
documented delta/done events.
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.responses import Response, StreamingResponse

from conformance.emulator import media, textgen
from conformance.emulator.context import Context
from conformance.emulator.registry import handles
from conformance.emulator.synth import synthesizer

SECONDS = 1.5  # the duration every transcript claims


def _body(ctx: Context) -> dict[str, Any]:
    return ctx.body if isinstance(ctx.body, dict) else {}


@handles("createSpeech")
async def create_speech(ctx: Context) -> Response:
    body = _body(ctx)
    fmt = str(body.get("response_format") or "mp3")
    data = media.audio(fmt)
    if body.get("stream_format") == "sse":
        return StreamingResponse(_speech_events(ctx, body, data), media_type="text/event-stream")
    return Response(data, media_type=media.MEDIA_TYPES.get(fmt, "application/octet-stream"))


def _speech_events(ctx: Context, body: dict[str, Any], data: bytes) -> Any:
    schema = ctx.operation.responses["200"].content["text/event-stream"]
    synth = synthesizer(ctx.spec)
    size = max(1, len(data) // 3)
    for start in range(0, len(data), size):
        chunk = base64.b64encode(data[start : start + size]).decode()
        yield textgen.sse(
            synth.value(schema, {"type": "speech.audio.delta", "audio": chunk}), event="speech.audio.delta"
        )
    tokens = textgen.count(body.get("input"))
    usage = {"input_tokens": tokens, "output_tokens": 1, "total_tokens": tokens + 1}
    done = synth.value(schema, {"type": "speech.audio.done", "usage": usage})
    yield textgen.sse(done, event="speech.audio.done")


def transcript(ctx: Context) -> str:
    upload = ctx.files.get("file")
    if upload is None:
        ctx.error(400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
    name, data, _ = upload
    return f"Transcript of {name} ({len(data)} bytes)."


def _timed(text: str) -> list[dict[str, Any]]:
    return [
        {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": SECONDS,
            "text": text,
            "tokens": list(range(textgen.count(text))),
            "temperature": 0.0,
            "avg_logprob": -0.1,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.01,
        }
    ]


def _subtitles(text: str, vtt: bool) -> str:
    if vtt:
        return f"WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n{text}\n"
    return f"1\n00:00:00,000 --> 00:00:01,500\n{text}\n"


def _answer(ctx: Context, text: str, translate: bool) -> Response:
    body = _body(ctx)
    fmt = str(body.get("response_format") or "json")
    if fmt == "text":
        return Response(text, media_type="text/plain")
    if fmt in ("srt", "vtt"):
        return Response(_subtitles(text, fmt == "vtt"), media_type="text/plain")
    tokens = textgen.count(text)
    answer: dict[str, Any] = {"text": text}
    if fmt == "verbose_json":
        answer.update(language="english", duration=SECONDS, segments=_timed(text))
        if "word" in (body.get("timestamp_granularities") or []):
            words = text.split()
            answer["words"] = [
                {
                    "word": w,
                    "start": round(i * SECONDS / len(words), 3),
                    "end": round((i + 1) * SECONDS / len(words), 3),
                }
                for i, w in enumerate(words)
            ]
    elif fmt == "diarized_json":
        answer.update(
            task="transcribe",
            duration=SECONDS,
            segments=[
                {
                    "type": "transcript.text.segment",
                    "id": "seg_0",
                    "start": 0.0,
                    "end": SECONDS,
                    "text": text,
                    "speaker": "A",
                }
            ],
        )
    if not translate:
        answer["usage"] = {
            "type": "tokens",
            "input_tokens": tokens,
            "output_tokens": tokens,
            "total_tokens": 2 * tokens,
        }
    schema = ctx.operation.responses["200"].content["application/json"]
    branch = _BRANCHES.get((ctx.operation.id, fmt))
    if branch is not None:
        # The spec's oneOf cannot tell these apart from the plain JSON branch (which has no
        # `additionalProperties: false`), so a real verbose answer never validates against the
        # union: answer what the API answers, fitted to its own branch.
        schema = ctx.spec.pointer(f"#/components/schemas/{branch}")
    return ctx.json(synthesizer(ctx.spec).value(schema, answer, seed=ctx.operation.id))


_BRANCHES = {
    ("createTranscription", "verbose_json"): "CreateTranscriptionResponseVerboseJson",
    ("createTranscription", "diarized_json"): "CreateTranscriptionResponseDiarizedJson",
    ("createTranslation", "verbose_json"): "CreateTranslationResponseVerboseJson",
}


@handles("createTranscription")
async def create_transcription(ctx: Context) -> Response:
    text = transcript(ctx)
    body = _body(ctx)
    if body.get("stream") in (True, "true") and ctx.operation.streams:
        return StreamingResponse(_transcript_events(ctx, text), media_type="text/event-stream")
    return _answer(ctx, text, translate=False)


def _transcript_events(ctx: Context, text: str) -> Any:
    schema = ctx.operation.responses["200"].content["text/event-stream"]
    synth = synthesizer(ctx.spec)
    for piece in textgen.chunks(text):
        yield textgen.sse(synth.value(schema, {"type": "transcript.text.delta", "delta": piece}))
    tokens = textgen.count(text)
    usage = {"type": "tokens", "input_tokens": tokens, "output_tokens": tokens, "total_tokens": 2 * tokens}
    yield textgen.sse(synth.value(schema, {"type": "transcript.text.done", "text": text, "usage": usage}))


@handles("createTranslation")
async def create_translation(ctx: Context) -> Response:
    return _answer(ctx, transcript(ctx), translate=True)
