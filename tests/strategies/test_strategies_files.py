"""Multipart uploads carry real files of the kind their purpose asks for."""

from __future__ import annotations

import io
import json
import wave
import zipfile
import zlib

from hypothesis import given, settings

from conformance import strategies
from conformance.spec import Spec
from conformance.strategies import files

FAST = settings(max_examples=15, derandomize=True, database=None, deadline=None)


def _png_pixels(blob: bytes) -> tuple[int, int]:
    assert blob.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(blob[16:20], "big"), int.from_bytes(blob[20:24], "big")
    start = blob.index(b"IDAT") + 4
    length = int.from_bytes(blob[start - 8 : start - 4], "big")
    raw = zlib.decompress(blob[start : start + length])
    assert len(raw) == height * (1 + 4 * width)  # RGBA rows, each with its filter byte
    return width, height


def test_the_files_are_real() -> None:
    assert _png_pixels(files.png()) == (2, 2)
    with wave.open(io.BytesIO(files.wav()), "rb") as audio:
        assert audio.getnchannels() == 1 and audio.getnframes() > 0
    for line in files.batch_jsonl().decode().splitlines():
        assert json.loads(line)["url"] == "/v1/chat/completions"
    assert len(files.fine_tune_jsonl().decode().splitlines()) >= 10
    assert "skill/SKILL.md" in zipfile.ZipFile(io.BytesIO(files.skill_zip())).namelist()


def test_file_uploads_match_their_purpose(spec: Spec) -> None:
    expected = {"batch": ".jsonl", "fine-tune": ".jsonl", "evals": ".jsonl", "vision": ".png"}

    @FAST
    @given(strategies.requests("createFile", spec=spec))
    def run(request: strategies.Request) -> None:
        assert request.media_type == "multipart/form-data"
        name, blob, _ = request.files["file"]
        purpose = request.body.get("purpose")
        assert name.endswith(expected.get(purpose, ".txt"))
        if name.endswith(".jsonl"):
            assert all(json.loads(line) for line in blob.decode().splitlines())

    run()


def test_images_and_audio(spec: Spec) -> None:
    @FAST
    @given(strategies.requests("createImageVariation", spec=spec))
    def image(request: strategies.Request) -> None:
        _png_pixels(request.files["image"][1])

    @FAST
    @given(strategies.requests("createTranscription", spec=spec))
    def audio(request: strategies.Request) -> None:
        assert request.files["file"][1].startswith(b"RIFF") and request.files["file"][2] == "audio/wav"

    image()
    audio()
