"""Small, real files for multipart bodies, chosen by what the upload is for.

A target that checks uploads (a real PNG for image edits, JSONL lines for a batch) rejects random
bytes, so a positive upload must be a file of the kind its purpose asks for. All are built with the
standard library, in memory, and kept tiny.
"""

from __future__ import annotations

import io
import json
import struct
import wave
import zipfile
import zlib

from hypothesis import strategies as st

File = tuple[str, bytes, str]  # (filename, content, media type)


def png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid RGBA PNG of one colour (RGBA: image edits require an alpha channel)."""
    row = b"\x00" + bytes([*rgb, 255]) * width
    raw = row * height

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def wav(milliseconds: int = 100, rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * (rate * milliseconds // 1000))
    return buffer.getvalue()


def batch_jsonl(model: str = "gpt-4o-mini", lines: int = 2) -> bytes:
    """Batch input: one `/v1/chat/completions` request per line."""
    rows = [
        {
            "custom_id": f"request-{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": f"Say {i}."}], "max_tokens": 5},
        }
        for i in range(1, lines + 1)
    ]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def fine_tune_jsonl(lines: int = 10) -> bytes:
    """Supervised fine-tuning data: chat transcripts (the API asks for at least 10 examples)."""
    rows = [
        {
            "messages": [
                {"role": "system", "content": "You answer with one word."},
                {"role": "user", "content": f"What is {i} plus {i}?"},
                {"role": "assistant", "content": str(i + i)},
            ]
        }
        for i in range(lines)
    ]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def eval_jsonl(lines: int = 3) -> bytes:
    rows = [{"item": {"input": f"question {i}", "ground_truth": f"answer {i}"}} for i in range(lines)]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def skill_zip() -> bytes:
    """A skill bundle: a zip holding a SKILL.md."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "skill/SKILL.md", "---\nname: conformance\ndescription: A test skill.\n---\nSay hi.\n"
        )
    return buffer.getvalue()


# The start of an ISO base media file (an `ftyp` box): enough for a type sniffer, not a playable video.
MP4_HEADER = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"

TEXT = b"The quick brown fox jumps over the lazy dog.\nConformance test document.\n"

# `purpose` of POST /files -> the file a real client uploads for it.
_BY_PURPOSE: dict[str, File] = {
    "batch": ("batch_input.jsonl", batch_jsonl(), "application/jsonl"),
    "fine-tune": ("training.jsonl", fine_tune_jsonl(), "application/jsonl"),
    "evals": ("eval_items.jsonl", eval_jsonl(), "application/jsonl"),
    "assistants": ("notes.txt", TEXT, "text/plain"),
    "user_data": ("notes.txt", TEXT, "text/plain"),
    "vision": ("image.png", png(), "image/png"),
}
IMAGE: File = ("image.png", png(), "image/png")
AUDIO: File = ("audio.wav", wav(), "audio/wav")
DOCUMENT: File = ("notes.txt", TEXT, "text/plain")
VIDEO: File = ("video.mp4", MP4_HEADER, "video/mp4")
SKILL: File = ("skill.zip", skill_zip(), "application/zip")
CHUNK: File = ("part.bin", b"conformance upload part\n" * 4, "application/octet-stream")


def file_for(path_template: str, field: str, purpose: object = None) -> File:
    """The realistic file for a multipart `field` of the operation at `path_template`."""
    if path_template == "/files" and isinstance(purpose, str) and purpose in _BY_PURPOSE:
        return _BY_PURPOSE[purpose]
    if field == "video":
        return VIDEO
    if path_template.startswith("/skills"):
        return SKILL
    if path_template.startswith("/audio") or field in ("audio", "audio_sample", "recording"):
        return AUDIO
    if path_template.startswith(("/images", "/videos")) or field in ("image", "mask", "input_reference"):
        return IMAGE
    if path_template.startswith("/uploads"):
        return CHUNK
    if path_template == "/files":
        return _BY_PURPOSE["user_data"]
    return DOCUMENT


def files_for(path_template: str, field: str, purpose: object = None) -> st.SearchStrategy[File]:
    return st.just(file_for(path_template, field, purpose))
