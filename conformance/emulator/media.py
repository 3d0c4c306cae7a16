"""Tiny, valid media files made with the standard library: what images, audio and videos return.

Each function returns the same bytes every time, small enough to inline in a JSON response as base64,
and well-formed enough that a client which decodes the format (an image viewer, `wave`, an Ogg demuxer)
accepts it.
"""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib

SAMPLE_RATE = 24_000  # what the speech endpoint produces

MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "flac": "audio/flac",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "mp4": "video/mp4",
    "zip": "application/zip",
}


def png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (16, 163, 127)) -> bytes:
    """An RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """An 8x8 mid-grey baseline JPEG: one DC-only block, one-code Huffman tables."""
    quant = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + b"\x01" * 64
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00"
    # DC table 0 and AC table 0, each one 1-bit code: DC category 0, AC end-of-block.
    dc = b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00"
    ac = b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00"
    tables = b"\xff\xc4" + struct.pack(">H", 2 + len(dc) + len(ac)) + dc + ac
    scan = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00" + b"\x00\x3f\x00"
    return b"\xff\xd8" + quant + frame + tables + scan + b"\x3f" + b"\xff\xd9"


def webp() -> bytes:
    """A 1x1 lossless (VP8L) WebP."""
    vp8l = bytes.fromhex("2f0000001007101111888 8fe07".replace(" ", ""))
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l + (b"\x00" if len(vp8l) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def image(output_format: str = "png") -> bytes:
    return {"jpeg": jpeg, "jpg": jpeg, "webp": webp}.get(output_format, png)()


def pcm(seconds: float = 0.25) -> bytes:
    """16-bit little-endian mono silence at 24 kHz."""
    return b"\x00\x00" * int(SAMPLE_RATE * seconds)


def wav(seconds: float = 0.25) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(pcm(seconds))
    return out.getvalue()


def mp3(frames: int = 10) -> bytes:
    """MPEG-1 Layer III frames of silence (128 kbit/s, 44.1 kHz, mono, 417 bytes each)."""
    header = bytes([0xFF, 0xFB, 0x90, 0xC4])
    return (header + b"\x00" * (417 - len(header))) * frames


def flac() -> bytes:
    """A FLAC stream with a STREAMINFO block and no audio frames (zero samples)."""
    info = struct.pack(">HH", 4096, 4096) + b"\x00" * 6
    # 20 bits sample rate, 3 bits channels-1, 5 bits bits-per-sample-1, 36 bits total samples.
    packed = (SAMPLE_RATE << 44) | (0 << 41) | (15 << 36) | 0
    info += packed.to_bytes(8, "big") + b"\x00" * 16  # MD5 of no audio: unset
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def opus() -> bytes:
    """An Ogg Opus stream: identification and comment headers, then one silent packet."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48_000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 6) + b"openai" + struct.pack("<I", 0)
    silent = b"\xf8\xff\xfe"  # a 20 ms CELT frame code that decodes to silence
    return _ogg_page(head, 0, 0, 0x02) + _ogg_page(tags, 1, 0, 0) + _ogg_page(silent, 2, 960, 0x04)


def aac(frames: int = 4) -> bytes:
    """ADTS frames (AAC-LC, 24 kHz, mono), each carrying a silent raw block."""
    payload = b"\x21\x10\x04\x60\x8c\x1c"
    length = 7 + len(payload)
    header = bytes(
        [
            0xFF,
            0xF1,
            (1 << 6) | (6 << 2),  # profile LC, sampling index 6 (24 kHz)
            (1 << 6) | (length >> 11),  # one channel
            (length >> 3) & 0xFF,
            ((length & 0x7) << 5) | 0x1F,
            0xFC,
        ]
    )
    return (header + payload) * frames


def audio(response_format: str = "mp3") -> bytes:
    makers = {"mp3": mp3, "wav": wav, "pcm": pcm, "flac": flac, "opus": opus, "aac": aac}
    return makers.get(response_format, mp3)()


def mp4() -> bytes:
    """An MP4 file with an `ftyp` box and an empty movie header."""
    ftyp = b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isomiso2mp41"
    mvhd = b"mvhd" + b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, 0) + b"\x00\x01\x00\x00\x01\x00"
    mvhd += b"\x00" * 10 + b"\x00\x01\x00\x00" + b"\x00" * 12 + b"\x00\x01\x00\x00" + b"\x00" * 12
    mvhd += b"\x40\x00\x00\x00" + b"\x00" * 24 + struct.pack(">I", 2)
    moov = b"moov" + struct.pack(">I", len(mvhd) + 4) + mvhd
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(moov) + 4) + moov


def zip_archive(files: dict[str, str] | None = None) -> bytes:
    """A zip with fixed timestamps (so the same files always give the same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (files or {"SKILL.md": "# Skill\n"}).items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packet: bytes, sequence: int, granule: int, flags: int) -> bytes:
    lacing = [255] * (len(packet) // 255) + [len(packet) % 255]
    header = b"OggS" + struct.pack("<BBqIII", 0, flags, granule, 0x4F41_4931, sequence, 0)
    header += bytes([len(lacing)]) + bytes(lacing)
    crc = _ogg_crc(header + packet)
    return header[:22] + struct.pack("<I", crc) + header[26:] + packet
