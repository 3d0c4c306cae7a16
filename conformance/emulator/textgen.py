"""The emulator's deterministic "model": replies, token counts, embeddings and SSE framing.

Every output is a pure function of the input, so a test can predict it: the reply to a prompt
echoes the prompt's last user text, token counts come from a simple word/punctuation split, and
an embedding is a unit vector seeded by the SHA-256 of the text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])", re.UNICODE)
# Keys of request structures that are bookkeeping, not text the model reads.
_NOT_TEXT = frozenset(
    {
        "type",
        "role",
        "id",
        "status",
        "created_at",
        "call_id",
        "object",
        "index",
        "annotations",
        "logprobs",
        "detail",
    }
)
REPLY_PREFIX = "This is a deterministic reply to: "
EMPTY_PROMPT = "(empty prompt)"


def tokens(text: str) -> list[str]:
    """Words and punctuation, each with its leading whitespace: joining them gives `text` back."""
    pieces = _TOKEN.findall(text)
    rest = len(text) - sum(len(p) for p in pieces)
    return pieces + ([text[-rest:]] if rest > 0 else [])


def count(value: Any) -> int:
    """Token count of any request value: text is split, structures count their text leaves."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(tokens(value))
    if isinstance(value, (int, float, bool)):
        return 1
    if isinstance(value, list):
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return len(value)  # a pre-tokenised prompt
        return sum(count(v) for v in value)
    if isinstance(value, dict):
        return sum(count(v) for k, v in value.items() if k not in _NOT_TEXT)
    return 0


def text_of(content: Any) -> str:
    """The text in a message `content`: a string, or parts with `text` (or `input_text`, ...)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(t for t in (text_of(p) for p in content) if t)
    if isinstance(content, dict):
        for key in ("text", "content", "input", "output"):
            if key in content:
                return text_of(content[key])
    return ""


def reply(prompt: str, max_tokens: float | None = None) -> tuple[str, bool]:
    """(reply text, truncated): an echo of the prompt, cut to `max_tokens` tokens when given."""
    text = REPLY_PREFIX + (" ".join(prompt.split())[:400] or EMPTY_PROMPT)
    if isinstance(max_tokens, (int, float)) and not isinstance(max_tokens, bool) and max_tokens >= 0:
        max_tokens = int(max_tokens)  # a JSON number such as 16.0 is a valid integer
        pieces = tokens(text)
        if len(pieces) > max_tokens:
            return "".join(pieces[:max_tokens]), True
    return text, False


def chunks(text: str, size: int = 3) -> list[str]:
    """The pieces a stream sends: a few tokens each, concatenating to `text`."""
    pieces = tokens(text)
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)] or [""]


def embedding(text: str, dimensions: int = 1536) -> list[float]:
    """A deterministic unit vector for `text` (same text, same vector; different text, different)."""
    return list(_embedding(text, dimensions))


@lru_cache(maxsize=1024)
def _embedding(text: str, dimensions: int) -> tuple[float, ...]:
    raw = hashlib.shake_256(text.encode()).digest(2 * dimensions)
    values = [(v - 32767.5) / 32767.5 for v in struct.unpack(f"<{dimensions}H", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return tuple(round(v / norm, 8) for v in values)


def encode_base64(vector: list[float]) -> str:
    """The `encoding_format: base64` form: little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def digest(*parts: Any) -> str:
    """A short stable hex digest of the inputs (deterministic ids inside one answer)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event; `data` is JSON-encoded unless it is already text."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def stream_body(events: Iterable[bytes]) -> Iterator[bytes]:
    """Pass events through (a hook for pacing later); kept as a generator for StreamingResponse."""
    yield from events
