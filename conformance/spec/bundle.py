"""One document from a spec split over files or URLs: every `$ref` made local, or the spec refused.

Everything after loading (the index, the validators, the strategies, the emulator) reads one JSON
document with `#/...` references only. A reference to another file or URL is resolved against the
document that holds it (RFC 3986, `urllib.parse.urljoin`), the referenced document is embedded once
under `#/x-conformance-external/<name>`, and the reference is rewritten to point there. Path items that
are references are inlined, since several tools read `paths` without following them.

Examples are not part of the contract: a reference that does not resolve inside `examples` or a vendor
extension (`x-ms-examples`, `x-fern-examples`, ...) is dropped and listed; one resolving there is
inlined as data. Anywhere else an unresolvable reference refuses the spec with one line (exit 2).
`referencing` (jsonschema's resolver) does not fit here: its resources are immutable and follow a
JSON Schema dialect's `$id` rules, while this rewrites an OpenAPI document in place.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from conformance.errors import SpecError
from conformance.spec.parsing import parse_any
from conformance.spec.refs import holds_names, pointer_get

EXTERNAL_KEY = "x-conformance-external"
# Values that are data, not schemas: a `$ref` inside them is a literal key.
_DATA_KEYS = frozenset({"example", "default", "enum", "const"})
_EXAMPLE_DATA_KEYS = frozenset({"value", "externalValue"})  # inside an Example object
_REMOTE = ("http", "https")


class _Unresolvable(Exception):
    """A reference that cannot be followed; the message says why."""


@dataclass
class Bundle:
    """What bundling read and what it dropped, for the cache and `spec info --verbose`."""

    documents: dict[str, str] = field(default_factory=dict)  # URI of every external document -> sha256
    dropped: list[str] = field(default_factory=list)  # "$ref 'x' at #/pointer: why"

    @property
    def remote(self) -> bool:
        return any(urlsplit(uri).scheme in _REMOTE for uri in self.documents)


def bundle(
    document: dict[str, Any],
    base_uri: str,
    source: str,
    *,
    allow_remote: bool = False,
    fetch: Any = None,
) -> Bundle:
    """Make every reference of `document` local, in place.

    `base_uri` is where the document came from (a `file:` or `http(s):` URI; empty for none);
    `allow_remote` lets references reach http(s) URLs; `fetch(url) -> bytes` reads one.
    """
    return _Bundler(document, base_uri, source, allow_remote, fetch).run()


class _Bundler:
    def __init__(
        self, document: dict[str, Any], base_uri: str, source: str, allow_remote: bool, fetch: Any
    ) -> None:
        self.root = document
        self.base_uri = urldefrag(base_uri)[0]
        self.source = source
        self.allow_remote = allow_remote or urlsplit(base_uri).scheme in _REMOTE
        self.fetch = fetch
        self.keys: dict[str, str] = {}  # document URI -> its name under EXTERNAL_KEY
        self.parsed: dict[str, Any] = {}  # document URI -> its data (examples inline from it)
        self.queue: list[tuple[str, str]] = []  # embedded documents still to walk: (uri, name)
        self.result = Bundle()

    def run(self) -> Bundle:
        self._children(self.root, self.base_uri, "#", in_example=False, names=False)
        holder = self.root.get(EXTERNAL_KEY, {})
        while self.queue:
            uri, name = self.queue.pop()
            self._visit(holder, name, uri, f"{self._display(uri)}#", in_example=False, names=False)
        self._inline_path_items()
        return self.result

    # -- walking ---------------------------------------------------------------------------------

    def _visit(self, parent: Any, key: Any, uri: str, pointer: str, in_example: bool, names: bool) -> bool:
        """Rewrite the refs in `parent[key]`, a part of the document at `uri`. False when it was removed."""
        node = parent[key]
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            try:
                if in_example and not ref.startswith("#"):
                    parent[key] = copy.deepcopy(self._resolve_data(ref, uri))
                    return True  # inlined data: nothing below it to rewrite
                node["$ref"] = self._target(ref, uri)
            except _Unresolvable as exc:
                if not in_example:
                    raise SpecError(
                        f"spec {self.source}: unresolvable $ref {ref!r} at {pointer}: {exc}"
                    ) from None
                self.result.dropped.append(f"$ref {ref!r} at {pointer}: {exc}")
                del parent[key]
                return False
        if isinstance(node, (dict, list)):
            self._children(node, uri, pointer, in_example, names)
        return True

    def _children(self, node: Any, uri: str, pointer: str, in_example: bool, names: bool) -> None:
        if isinstance(node, list):
            index = 0
            while index < len(node):
                if self._visit(node, index, uri, f"{pointer}/{index}", in_example, False):
                    index += 1  # else dropped: the next item moved to this index
            return
        for key in list(node):
            value = node[key]
            if not isinstance(value, (dict, list)) or key == "$ref":
                continue
            example = in_example
            if not names:  # a keyword, not the name of a property or component
                if key in _DATA_KEYS or (in_example and key in _EXAMPLE_DATA_KEYS):
                    continue
                example = in_example or key == "examples" or key.startswith("x-")
            below_names = not names and holds_names(key, pointer)
            self._visit(node, key, uri, f"{pointer}/{_escape(key)}", example, below_names)

    # -- resolving -------------------------------------------------------------------------------

    def _target(self, ref: str, uri: str) -> str:
        """The local reference that replaces `ref`, found in the document at `uri`."""
        target, fragment = self._split(ref, uri)
        if not target or target == self.base_uri:
            local = "#" + fragment
        else:
            local = f"#/{EXTERNAL_KEY}/{_escape(self._embed(target))}{fragment}"
        try:
            pointer_get(self.root, local)
        except (KeyError, IndexError, ValueError, TypeError):
            raise _Unresolvable("it points at nothing") from None
        return local

    def _split(self, ref: str, uri: str) -> tuple[str, str]:
        absolute = urljoin(uri, ref) if uri else ref
        target, fragment = urldefrag(absolute)
        fragment = unquote(fragment)
        if ref.startswith("#"):
            target = uri
        if fragment and not fragment.startswith("/"):
            raise _Unresolvable(f"anchor fragment {fragment!r} is not supported (use a JSON pointer)")
        return target, fragment

    def _resolve_data(self, ref: str, uri: str) -> Any:
        target, fragment = self._split(ref, uri)
        data = self._document(target)
        try:
            return pointer_get(data, "#" + fragment) if fragment else data
        except (KeyError, IndexError, ValueError, TypeError):
            raise _Unresolvable("it points at nothing") from None

    def _embed(self, target: str) -> str:
        name = self.keys.get(target)
        if name is not None:
            return name
        data = self._document(target)
        name = self._name_for(target)
        self.keys[target] = name
        self.root.setdefault(EXTERNAL_KEY, {})[name] = copy.deepcopy(data)
        self.queue.append((target, name))
        return name

    def _name_for(self, target: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(urlsplit(target).path).name) or "document"
        taken = set(self.keys.values())
        name, n = stem, 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}"
        return name

    def _document(self, target: str) -> Any:
        """The parsed document at `target` (a file: or http(s): URI), read once."""
        if target in self.parsed:
            return self.parsed[target]
        scheme = urlsplit(target).scheme
        if scheme == "file":
            if urlsplit(self.base_uri).scheme in _REMOTE:
                raise _Unresolvable("a spec read from a URL cannot reference local files")
            path = Path(unquote(urlsplit(target).path))
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                raise _Unresolvable("no such file") from None
            except OSError as exc:
                raise _Unresolvable(f"cannot read {path}: {exc.strerror}") from None
        elif scheme in _REMOTE:
            if not self.allow_remote:
                raise _Unresolvable("a remote reference (pass --allow-remote-refs to follow it)")
            if self.fetch is None:
                raise _Unresolvable("no way to fetch URLs here")
            try:
                raw = self.fetch(target)
            except SpecError as exc:
                raise _Unresolvable(str(exc)) from None
        else:
            raise _Unresolvable(
                f"cannot follow a {scheme or 'relative'} reference from {self.base_uri or 'here'}"
            )
        try:
            data = parse_any(raw, target)
        except SpecError as exc:
            raise _Unresolvable(str(exc)) from None
        self.parsed[target] = data
        self.result.documents[target] = hashlib.sha256(raw).hexdigest()
        return data

    def _display(self, uri: str) -> str:
        """A document's URI as messages show it: relative to the spec's folder when below it."""
        folder = self.base_uri.rsplit("/", 1)[0] + "/"
        return uri[len(folder) :] if uri.startswith(folder) else uri

    def _inline_path_items(self) -> None:
        paths = self.root.get("paths")
        if not isinstance(paths, dict):
            return
        for key, item in list(paths.items()):
            if isinstance(item, dict) and isinstance(item.get("$ref"), str):
                paths[key] = copy.deepcopy(pointer_get(self.root, item["$ref"]))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
