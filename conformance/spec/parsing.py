"""JSON or YAML bytes to plain JSON data: the one parser every spec document goes through."""

from __future__ import annotations

import json
from typing import Any

import yaml

from conformance.errors import SpecError

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _JSONDataLoader(_Base):  # type: ignore[misc, valid-type]
    """A safe loader whose output is JSON data: timestamps stay strings."""


_JSONDataLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_JSONDataLoader.add_constructor(_TIMESTAMP, _Base.construct_yaml_str)


def parse(raw: bytes, source: str) -> dict[str, Any]:
    """JSON or YAML bytes to a dict of plain JSON values."""
    data = parse_any(raw, source)
    if not isinstance(data, dict):
        raise SpecError(f"spec {source}: not an OpenAPI document (top level is not a mapping)")
    return data


def parse_any(raw: bytes, source: str) -> Any:
    """JSON or YAML bytes to plain JSON values (a document another one references may be any value)."""
    text = raw.decode("utf-8-sig", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"spec {source}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    else:
        try:
            data = yaml.load(text, Loader=_JSONDataLoader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise SpecError(f"spec {source}: invalid YAML{where}: {problem}") from exc
        data = _plain(data)
    return data


def _plain(value: Any) -> Any:
    """Stringify mapping keys (YAML reads `200:` as an int) and non-JSON scalars."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
