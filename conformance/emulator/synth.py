"""Deterministic synthesis of a JSON value that fits a schema of the spec.

The emulator answers operations it has no hand-written model for with a value synthesised from the
declared response schema, and builds the objects of generic CRUD the same way. Two properties matter:

* the value VALIDATES against the schema (`$ref`, `allOf` merged, `anyOf`/`oneOf` with discriminators,
  `const`/`enum`, formats, bounds, `required`, `null` types), so a conformance run against the emulator
  only reports real findings;
* the value CARRIES the request: `hints` (the request body, path parameters, ...) win for same-named
  fields whenever they fit the field's schema, so a created object echoes what was sent.

The same inputs always give the same value: no randomness, no clock unless `now` is passed in.
"""

from __future__ import annotations

import copy
import hashlib
import re
from types import SimpleNamespace
from typing import Any

from conformance.spec import Operation, Spec, Validators
from conformance.spec.jsontypes import json_type
from conformance.spec.refs import pointer_get

_MAX_DEPTH = 14
_EPOCH = 1_700_000_000  # a fixed unix time: synthesis must not depend on the clock

_FORMATS: dict[str, str] = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uri-reference": "https://example.com/resource",
    "email": "user@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "byte": "AA==",
    "binary": "",
}

# Type preference when a schema allows several: the richest value first, `null` last.
_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
# Nullable fields that a real object leaves null until something happens (an error, an end time).
_NULL_FIRST = frozenset(
    {"error", "last_error", "incomplete_details", "status_details", "deleted_at", "instructions", "user"}
)


# Plain strings whose name says more than the name itself would.
_NAMED = {
    "status": "active",
    "role": "member",
    "email": "user@example.com",
    "url": "https://example.com/",
    "seconds": "4",
}
# Optional fields real objects always carry, filled in near the top of a value.
_SHOWN = frozenset({"status", "object"})


def _prefers_null(name: str) -> bool:
    """Nullable fields left null unless the request says otherwise: errors, end times, references to
    other objects (a synthesised id would name an object that does not exist)."""
    if name in _NULL_FIRST or name.endswith("_id"):
        return True
    return name.endswith("_at") and name not in ("created_at", "updated_at")


class Synthesizer:
    """Synthesises values for the schemas of one spec (validators are compiled once and cached)."""

    def __init__(self, spec: Spec | Any) -> None:
        # Anything with a `document` works: a Spec, or a user's JSON Schema (see `for_schema`).
        self.spec = spec
        self.document = spec.document
        self.validators = spec.validators
        self._merged: dict[int, tuple[Any, Any]] = {}
        self._combined: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
        self._bases: dict[tuple[int, str], tuple[Any, Any]] = {}

    @classmethod
    def for_schema(cls, root: dict[str, Any]) -> Synthesizer:
        """A synthesizer for a standalone JSON Schema (a structured-output schema a request sent)."""
        standalone: Any = SimpleNamespace(document=root)  # the two attributes a Synthesizer reads
        standalone.validators = Validators(standalone)
        return cls(standalone)

    # -- public ------------------------------------------------------------------------------------------

    def value(self, schema: Any, hints: Any = None, *, seed: str = "", now: int | None = None) -> Any:
        """A value fitting `schema`, taking same-named fields from `hints` where they fit."""
        return _Run(self, seed, _EPOCH if now is None else now).gen(schema, hints, 0, "")

    def is_valid(self, schema: Any, value: Any) -> bool:
        """Validate `value` against a schema node of this spec (refs resolve against the document)."""
        return self.validator(schema).is_valid(value)

    def errors(self, schema: Any, value: Any, limit: int = 5) -> list[str]:
        found = []
        for error in self.validator(schema).iter_errors(value):
            found.append(f"{error.instance_path or '/'}: {error.message}"[:300])
            if len(found) >= limit:
                break
        return found

    def validator(self, schema: Any) -> Any:
        """A compiled validator; pass nodes of the document (or memoised ones): the cache keys on identity."""
        return self.validators.compile(schema)

    # -- schema helpers ----------------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """Dereference, merging sibling keywords of a `$ref` (legal in 3.1) into an `allOf`."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 64:
            try:
                target = pointer_get(self.document, node["$ref"])
            except (KeyError, IndexError, ValueError, TypeError):
                return {}  # an unresolvable reference in a user schema: anything goes
            rest = {k: v for k, v in node.items() if k not in ("$ref", "description", "title")}
            node = {"allOf": [target, rest]} if rest else target
            seen += 1
        return node

    def merge(self, schema: Any) -> Any:
        """`schema` with `$ref`s followed and `allOf` flattened; memoised, so results keep their identity."""
        if not isinstance(schema, dict):
            return schema
        found = self._merged.get(id(schema))
        if found is None or found[0] is not schema:
            found = (schema, self._merge(schema, 0))
            self._merged[id(schema)] = found
        return found[1]

    def combine(self, base: Any, branch: Any) -> Any:
        """The memoised `allOf` of a union's shared keywords and one of its branches."""
        key = (id(base), id(branch))
        found = self._combined.get(key)
        if found is None or found[0] is not base or found[1] is not branch:
            found = (base, branch, {"allOf": [base, branch]})
            self._combined[key] = found
        return found[2]

    def union_base(self, schema: dict[str, Any], key: str) -> dict[str, Any]:
        """A union schema's keywords other than the union itself (memoised)."""
        found = self._bases.get((id(schema), key))
        if found is None or found[0] is not schema:
            found = (schema, {k: v for k, v in schema.items() if k not in (key, "discriminator")})
            self._bases[(id(schema), key)] = found
        return found[1]

    def _merge(self, schema: Any, depth: int) -> Any:
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or "allOf" not in schema or depth > 16:
            return schema
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = self._merge(part, depth + 1)
            if not isinstance(part, dict):
                continue
            for key, val in part.items():
                if key == "properties":
                    props = dict(merged.get("properties") or {})
                    for name, sub in val.items():
                        props[name] = {"allOf": [props[name], sub]} if name in props else sub
                    merged["properties"] = props
                elif key == "required":
                    merged["required"] = list(dict.fromkeys([*(merged.get("required") or []), *val]))
                elif key == "type" and "type" in merged:
                    merged["type"] = _intersect_types(merged["type"], val)
                elif key in ("oneOf", "anyOf") and key in merged:
                    merged.setdefault("allOf", []).append({key: val})
                elif key not in merged:
                    merged[key] = val
        if "allOf" in merged:  # several unions: nest them; validate-and-retry sorts out the rest
            extra = merged.pop("allOf")
            return self._merge({"allOf": [merged, *extra]}, depth + 1) if depth < 4 else merged
        return merged


class _Run:
    """One synthesis: the seed and the clock value shared by every node of the value."""

    def __init__(self, synth: Synthesizer, seed: str, now: int) -> None:
        self.synth = synth
        self.seed = seed
        self.now = now

    def gen(self, schema: Any, hint: Any, depth: int, name: str) -> Any:
        if schema is True or schema is None:
            return hint if hint is not None else "string"
        if schema is False:
            return None
        raw = schema
        schema = self.synth.merge(schema)
        if not isinstance(schema, dict):
            return hint
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._enum(schema, hint)
        if hint is not None and not _structured(schema, hint) and self._hint_fits(raw, hint, depth):
            return copy.deepcopy(hint)
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._union(schema, key, hint, depth, name)
        kind = self._type(schema, hint, depth, name)
        if kind == "object":
            return self._object(schema, hint, depth)
        if kind == "array":
            return self._array(schema, hint, depth, name)
        if kind == "string":
            return self._string(schema, hint, name)
        if kind in ("integer", "number"):
            return self._number(schema, hint, kind, name)
        if kind == "boolean":
            return hint if isinstance(hint, bool) else bool(schema.get("default", False))
        return None

    # -- choices -----------------------------------------------------------------------------------------

    def _hint_fits(self, raw: Any, hint: Any, depth: int) -> bool:
        # Scalars and small containers are checked against the schema; a failing hint still steers
        # the synthesis of its fields below.
        try:
            return self.synth.is_valid(raw, hint)
        except Exception:  # noqa: BLE001 - an uncompilable schema just means: synthesise instead
            return False

    def _enum(self, schema: dict[str, Any], hint: Any) -> Any:
        values = schema["enum"]
        if hint in values and hint is not None:
            return hint
        if "default" in schema and schema["default"] in values:
            return schema["default"]
        for value in values:
            if value is not None:
                return value
        return values[0]

    def _type(self, schema: dict[str, Any], hint: Any, depth: int, name: str) -> str | None:
        declared = schema.get("type")
        if isinstance(declared, str):
            return declared
        kinds = list(declared) if isinstance(declared, list) else []
        if not kinds:
            if "properties" in schema or "additionalProperties" in schema or "required" in schema:
                return "object"
            if "items" in schema:
                return "array"
            if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
                return "string"
            if any(k in schema for k in ("minimum", "maximum")):
                return "number"
            return _kind_of(hint) or "string"
        hinted = _kind_of(hint)
        if hinted in kinds:
            return hinted
        if hinted == "integer" and "number" in kinds:
            return "number"
        if "null" in kinds and hint is None and (depth >= _MAX_DEPTH or _prefers_null(name)):
            return "null"
        kinds.sort(key=lambda k: _TYPE_ORDER.index(k) if k in _TYPE_ORDER else 99)
        return kinds[0]

    def _union(self, schema: dict[str, Any], key: str, hint: Any, depth: int, name: str) -> Any:
        branches = list(schema[key])
        base = self.synth.union_base(schema, key)
        chosen = self._discriminated(schema, branches, hint)
        order = self._branch_order(branches, hint, depth, name)
        if chosen is not None:
            order = [chosen, *[b for b in order if b is not chosen]]
        first = None
        best: tuple[int, Any] | None = None
        for branch in order:
            target = self.synth.combine(base, branch) if _has_constraints(base) else branch
            candidate = self.gen(target, hint, depth + 1, name)
            if first is None:
                first = candidate
            if key == "anyOf" and not _has_constraints(base):
                fits = self._fits(branch, candidate)
            else:
                fits = self._fits(schema, candidate)
            if not fits:
                continue
            if chosen is not None or not isinstance(hint, dict) or depth >= _MAX_DEPTH:
                return candidate
            # Without a discriminator, the branch that keeps the most of the hint's fields wins.
            kept = len(set(hint) & set(candidate)) if isinstance(candidate, dict) else 0
            if best is None or kept > best[0]:
                best = (kept, candidate)
            if kept == len(hint):
                break
        return best[1] if best is not None else first

    def _fits(self, schema: Any, value: Any) -> bool:
        try:
            return self.synth.is_valid(schema, value)
        except Exception:  # noqa: BLE001
            return True

    def _discriminated(self, schema: dict[str, Any], branches: list[Any], hint: Any) -> Any:
        disc = schema.get("discriminator")
        if not isinstance(disc, dict) or not isinstance(hint, dict):
            return None
        value = hint.get(disc.get("propertyName"))
        target = (disc.get("mapping") or {}).get(value) if isinstance(value, str) else None
        for branch in branches:
            if isinstance(branch, dict) and branch.get("$ref") == target:
                return branch
        return None

    def _branch_order(self, branches: list[Any], hint: Any, depth: int, name: str) -> list[Any]:
        """Branches whose type matches the hint first; `null` branches last (first when very deep)."""
        hinted = _kind_of(hint)

        def rank(item: tuple[int, Any]) -> tuple[int, int]:
            index, branch = item
            resolved = self.synth.merge(branch)
            kinds = _declared_kinds(resolved)
            is_null = kinds == {"null"}
            if hint is None and (depth >= _MAX_DEPTH or _prefers_null(name)):
                return (0 if is_null else 1, index)
            if hinted and (hinted in kinds or (hinted == "integer" and "number" in kinds)):
                return (0, index)
            return (2 if is_null else 1, index)

        return [b for _, b in sorted(enumerate(branches), key=rank)]

    # -- kinds -------------------------------------------------------------------------------------------

    def _object(self, schema: dict[str, Any], hint: Any, depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        hint = hint if isinstance(hint, dict) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        out: dict[str, Any] = {}
        names = list(dict.fromkeys([*required, *(n for n in hint if n in props)]))
        if depth <= 1:  # near the top, optional states an object always shows (`status`, `object`)
            names += [n for n in props if n in _SHOWN and n not in names and n not in hint]
        for prop in names:
            sub = props.get(prop, _additional(schema))
            if sub is False:
                continue
            out[prop] = self.gen(sub, hint.get(prop), depth + 1, prop)
        extra = _additional(schema)
        if extra is not False and not props:
            for key, val in hint.items():  # maps (metadata and friends) carry the request's entries
                if key not in out:
                    out[key] = self.gen(extra, val, depth + 1, key)
        minimum = int(schema.get("minProperties") or 0)
        n = 0
        while len(out) < minimum and n < 64:
            key = f"key_{n}"
            if key not in out:
                out[key] = self.gen(props.get(key, extra if extra is not False else {}), None, depth + 1, key)
            n += 1
        return out

    def _array(self, schema: dict[str, Any], hint: Any, depth: int, name: str) -> list[Any]:
        items = schema.get("items", {})
        prefix = schema.get("prefixItems") or []
        hinted = hint if isinstance(hint, list) else []
        count = max(int(schema.get("minItems") or 0), len(prefix))
        if hinted and depth < _MAX_DEPTH:
            count = max(count, len(hinted))
        maximum = schema.get("maxItems")
        if isinstance(maximum, int):
            count = min(count, maximum)
        out = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            out.append(self.gen(sub, hinted[i] if i < len(hinted) else None, depth + 1, f"{name}_{i}"))
        return out

    def _string(self, schema: dict[str, Any], hint: Any, name: str) -> str:
        if isinstance(hint, str) and _string_ok(schema, hint):
            return hint
        default = schema.get("default")
        if isinstance(default, str) and _string_ok(schema, default):
            return default
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            text = _FORMATS[fmt]
        elif name == "id" or name.endswith("_id"):
            text = f"{name.removesuffix('_id') or 'obj'}_{self._digest(name)}"
        else:
            text = _NAMED.get(name, name or "string")
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not _matches(pattern, text):
            text = _fit_pattern(pattern, text)
        minimum = int(schema.get("minLength") or 0)
        if len(text) < minimum:
            text = (text + "x" * minimum)[:minimum]
        maximum = schema.get("maxLength")
        if isinstance(maximum, int) and len(text) > maximum:
            text = text[:maximum]
        return text

    def _number(self, schema: dict[str, Any], hint: Any, kind: str, name: str) -> int | float:
        if isinstance(hint, (int, float)) and not isinstance(hint, bool) and _number_ok(schema, hint, kind):
            return hint
        default = schema.get("default")
        if (
            isinstance(default, (int, float))
            and not isinstance(default, bool)
            and _number_ok(schema, default, kind)
        ):
            return default
        if schema.get("format") == "unixtime" or name in ("created", "created_at") or name.endswith("_at"):
            value: float = self.now
        else:
            value = 0
        low, high = schema.get("minimum"), schema.get("maximum")
        xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(low, (int, float)) and value < low:
            value = low
        if isinstance(xlow, (int, float)) and value <= xlow:
            value = (
                xlow + 1
                if kind == "integer"
                else xlow + 0.5
                if not isinstance(xhigh, (int, float))
                else ((xlow + xhigh) / 2)
            )
        if isinstance(high, (int, float)) and value > high:
            value = high
        if isinstance(xhigh, (int, float)) and value >= xhigh:
            value = xhigh - 1 if kind == "integer" else (value + xhigh) / 2 if value < xhigh else xhigh - 0.5
        step = schema.get("multipleOf")
        if isinstance(step, (int, float)) and step > 0 and value % step:
            value = (value // step + 1) * step
        if kind == "integer":
            return int(value)
        return float(value) if isinstance(value, float) else value

    def _digest(self, name: str) -> str:
        return hashlib.sha256(f"{self.seed}:{name}".encode()).hexdigest()[:24]


# -- module helpers --------------------------------------------------------------------------------------


def _additional(schema: dict[str, Any]) -> Any:
    extra = schema.get("additionalProperties", True)
    return {} if extra is True else extra


def _kind_of(value: Any) -> str | None:
    return None if value is None else json_type(value)


def _declared_kinds(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    if "const" in schema:
        return {_kind_of(schema["const"]) or "null"}
    if "properties" in schema:
        return {"object"}
    return set()


def _intersect_types(a: Any, b: Any) -> Any:
    left = {a} if isinstance(a, str) else set(a or [])
    right = {b} if isinstance(b, str) else set(b or [])
    both = left & right or ({"number"} & left and {"integer"} & right and {"integer"}) or right
    ordered = [k for k in _TYPE_ORDER if k in both]
    return ordered[0] if len(ordered) == 1 else ordered


def _structured(schema: dict[str, Any], hint: Any) -> bool:
    """Objects with declared properties are built field by field, so a hint's extra keys stay out."""
    return isinstance(hint, dict) and bool(
        schema.get("properties") or schema.get("oneOf") or schema.get("anyOf")
    )


def _has_constraints(schema: dict[str, Any]) -> bool:
    ignored = {
        "description",
        "title",
        "x-oaiTypeLabel",
        "x-stainless-const",
        "default",
        "example",
        "examples",
    }
    return any(k not in ignored and not k.startswith("x-") for k in schema)


def _string_ok(schema: dict[str, Any], text: str) -> bool:
    if len(text) < int(schema.get("minLength") or 0):
        return False
    maximum = schema.get("maxLength")
    if isinstance(maximum, int) and len(text) > maximum:
        return False
    pattern = schema.get("pattern")
    return not isinstance(pattern, str) or _matches(pattern, text)


def _number_ok(schema: dict[str, Any], value: float, kind: str) -> bool:
    if kind == "integer" and not float(value).is_integer():
        return False
    checks = (
        ("minimum", lambda b: value >= b),
        ("maximum", lambda b: value <= b),
        ("exclusiveMinimum", lambda b: value > b),
        ("exclusiveMaximum", lambda b: value < b),
    )
    return all(not isinstance(schema.get(k), (int, float)) or ok(schema[k]) for k, ok in checks)


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


def _fit_pattern(pattern: str, text: str) -> str:
    """Make `text` match a simple character-class pattern (the only kind the OpenAI spec uses)."""
    cleaned = re.sub(r"[^a-zA-Z0-9_-]", "_", text) or "x"
    if _matches(pattern, cleaned):
        return cleaned
    for candidate in ("x", "a", "0", "A", "a1"):
        if _matches(pattern, candidate):
            return candidate
    return text


def success_schema(operation: Operation, media_type: str = "application/json") -> tuple[int, Any]:
    """The first declared 2xx status of an operation and its schema for `media_type` (None if absent)."""
    for status in operation.success_statuses():
        code = int(status) if status.isdigit() else 200
        return code, operation.responses[status].content.get(media_type)
    return 200, None


def synthesizer(spec: Spec) -> Synthesizer:
    """The shared synthesizer of a spec."""
    return spec.derived(Synthesizer, lambda: Synthesizer(spec))


def synthesize(spec: Spec, schema: Any, hints: Any = None, *, seed: str = "", now: int | None = None) -> Any:
    """A deterministic value fitting `schema` (a node of `spec`), carrying `hints` where they fit."""
    return synthesizer(spec).value(schema, hints, seed=seed, now=now)
