"""The models registry: which model names a request may carry, by what the operation does.

A spec-only generator writes `"model": "\\x00é"`; a real target rejects that before it looks at
anything else. The default lists name current public models; `Models.from_list_response` takes the
names a target's `GET /models` returned, so runs against an OpenAI-compatible server use its models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

DEFAULT_MODELS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "chat": (
            "gpt-4o-mini",
            "gpt-4o",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-5",
            "gpt-5-mini",
            "o3-mini",
            "o4-mini",
        ),
        "completion": ("gpt-3.5-turbo-instruct", "davinci-002", "babbage-002"),
        "embedding": ("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"),
        "image": ("gpt-image-1", "dall-e-3", "dall-e-2"),
        "tts": ("gpt-4o-mini-tts", "tts-1", "tts-1-hd"),
        "transcription": ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"),
        "moderation": ("omni-moderation-latest", "text-moderation-latest"),
        "fine_tune": ("gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14", "gpt-3.5-turbo-0125"),
        "realtime": ("gpt-realtime", "gpt-4o-realtime-preview"),
        "video": ("sora-2", "sora-2-pro"),
    }
)

# Path prefix -> category; the first match wins, so longer prefixes come first.
_CATEGORY_BY_PATH = (
    ("/audio/speech", "tts"),
    ("/audio/transcriptions", "transcription"),
    ("/audio/translations", "transcription"),
    ("/chat/", "chat"),
    ("/completions", "completion"),
    ("/embeddings", "embedding"),
    ("/images", "image"),
    ("/moderations", "moderation"),
    ("/fine_tuning", "fine_tune"),
    ("/realtime", "realtime"),
    ("/videos", "video"),
)
# Name fragment -> category, for sorting a target's model list.
_CATEGORY_BY_NAME = (
    ("embedding", "embedding"),
    ("tts", "tts"),
    ("whisper", "transcription"),
    ("transcribe", "transcription"),
    ("dall-e", "image"),
    ("image", "image"),
    ("moderation", "moderation"),
    ("sora", "video"),
    ("realtime", "realtime"),
    ("instruct", "completion"),
    ("davinci", "completion"),
    ("babbage", "completion"),
)


@dataclass(frozen=True)
class Models:
    """Model names by category (chat, embedding, image, tts, transcription, …). Immutable."""

    by_category: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_MODELS)

    @classmethod
    def from_names(cls, names: Iterable[str], *, keep_defaults: bool = True) -> Models:
        """A registry of these names, sorted into categories by their spelling."""
        sorted_names: dict[str, list[str]] = {}
        for name in names:
            sorted_names.setdefault(category_of(name), []).append(name)
        merged = {k: list(v) for k, v in DEFAULT_MODELS.items()} if keep_defaults else {}
        for category, found in sorted_names.items():
            merged[category] = list(dict.fromkeys([*found, *merged.get(category, [])]))
        if "chat" in sorted_names:
            merged.setdefault("fine_tune", [])
        return cls(MappingProxyType({k: tuple(v) for k, v in merged.items()}))

    @classmethod
    def from_list_response(cls, body: Any, *, keep_defaults: bool = False) -> Models:
        """The registry a target's `GET /models` body describes (`{"data": [{"id": ...}]}`)."""
        data = body.get("data") if isinstance(body, dict) else None
        names = [m["id"] for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
        return cls.from_names(names, keep_defaults=keep_defaults or not names)

    def names(self, category: str | None = None) -> tuple[str, ...]:
        if category is None:
            return tuple(dict.fromkeys(n for names in self.by_category.values() for n in names))
        return self.by_category.get(category, ())

    def for_path(self, path_template: str) -> tuple[str, ...]:
        """The names worth sending to this operation, best first; every name as a fallback."""
        category = category_for_path(path_template)
        preferred = self.names(category)
        return tuple(dict.fromkeys([*preferred, *self.names()]))


def category_for_path(path_template: str) -> str:
    for prefix, category in _CATEGORY_BY_PATH:
        if path_template.startswith(prefix):
            return category
    return "chat"


def category_of(name: str) -> str:
    lowered = name.lower()
    for fragment, category in _CATEGORY_BY_NAME:
        if fragment in lowered:
            return category
    return "chat"
