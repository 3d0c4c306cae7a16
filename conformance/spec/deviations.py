"""Known deviations: where the real API differs from its spec, as recorded evidence shows.

The table ships as `spec/deviations.yaml` (one entry per deviation, each with its evidence). A
finding an entry covers is kept but marked `known_deviation: <id>`, so it does not fail the run;
`CheckConfig(strict_spec=True)` (`--strict-spec`) judges by the letter of the spec instead.
`run_checks` applies the table, the one place findings become violations. The emulator reads the
same table to answer like the real API (`conformance.emulator.real_api`).

An entry matches a violation when its check, operation (fnmatch over operation ids) and field
(fnmatch over the JSON path of the field, indices as `[*]`) match, the finding is of the entry's
kind, and its optional conditions hold:

  kind        the finding
  null        the body holds null where the schema declares another type
  omitted     a required field is absent (the field path is the object's path + the field name)
  constant    another constant or enum value; `values` lists the ones the API sends
  type        a value of another type (not null); `values` optionally lists them
  limit       a number outside a declared minimum/maximum, which the API accepted and echoes

  when.request / when.response   top-level body fields that must equal the given values
  models                          the answer's `model` (else the request's) matches one of these
                                  patterns (fnmatch): what one family of models does, not all
  recorded_before                 only exchanges whose `date` header is before this day (fields the
                                  API added later are absent from older recordings)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from conformance.errors import DataError
from conformance.exchange import Exchange
from conformance.spec.data import load_table

KINDS = ("null", "omitted", "constant", "type", "limit")
_REQUIRED = re.compile(r'"([^"]+)" is a required property')
_CONSTANT = re.compile(r"is not one of|is not equal to|was expected")
_TYPE = re.compile(r"is not of type|is not valid under any of the schemas")
_LIMIT = re.compile(r"is (less|greater) than (or equal to )?the (minimum|maximum)|is (longer|shorter) than")


@dataclass(frozen=True)
class Deviation:
    """One way the real API differs from its spec, with the evidence that shows it."""

    id: str
    kind: str
    real_api: str
    operations: tuple[str, ...]
    fields: tuple[str, ...]
    checks: tuple[str, ...] = ("response.schema", "sse.stream")
    values: tuple[str, ...] = ()
    when: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: tuple[str, ...] = ()
    recorded_before: date | None = None
    evidence: tuple[dict[str, Any], ...] = ()

    @property
    def current(self) -> bool:
        """Whether it describes today's API (not only recordings older than `recorded_before`)."""
        return self.recorded_before is None

    def judged_by(self, check: str) -> bool:
        return any(fnmatchcase(check, c) for c in self.checks)

    def on(self, operation_id: str | None) -> bool:
        return any(fnmatchcase(operation_id or "", o) for o in self.operations)

    def at(self, path: str) -> bool:
        """Whether the field at this JSON path (indices as `[*]`) is one the deviation names."""
        return any(fnmatchcase(path, f) for f in self.fields)

    def covers(self, violation: Any, exchange: Exchange) -> bool:
        """Whether this deviation explains the violation found in this exchange."""
        if not self.judged_by(violation.check) or not self.on(violation.operation_id):
            return False
        where = _field_path(violation, self.kind)
        if where is None or not self.at(where):
            return False
        return self._kind_fits(violation) and self._conditions_hold(exchange)

    def _kind_fits(self, violation: Any) -> bool:
        message, got = violation.message, violation.got
        if self.kind == "null":
            return got == "null" and _TYPE.search(message) is not None
        if self.kind == "omitted":
            return True  # `_field_path` already found the required-property message
        if self.kind == "constant":
            return _CONSTANT.search(message) is not None and (not self.values or got in self.values)
        if self.kind == "type":
            if self.values:  # the very value the API sends: whatever a spec's version says of it
                return got in self.values
            # a long instance truncates the message before "is not of type": any other finding will do
            other = _REQUIRED.search(message) or _CONSTANT.search(message) or _LIMIT.search(message)
            return got != "null" and other is None
        return _LIMIT.search(message) is not None  # limit

    def when_holds(self, request: Any, response: Any) -> bool:
        """Whether the `when` conditions hold for these request and response bodies."""
        for side, body in (("request", request), ("response", response)):
            wanted = self.when.get(side) or {}
            if wanted and not (
                isinstance(body, dict) and all(body.get(k, _MISSING) == v for k, v in wanted.items())
            ):
                return False
        if self.models:
            model = _model(response) or _model(request)
            return model is not None and any(fnmatchcase(model, m) for m in self.models)
        return True

    def _conditions_hold(self, exchange: Exchange) -> bool:
        request = exchange.request.body if isinstance(exchange.request.body, dict) else {}
        response = exchange.response.json() if exchange.response.is_json else None
        if not self.when_holds(request, response):
            return False
        if self.recorded_before is not None:
            recorded = _recorded_on(exchange)
            return recorded is not None and recorded < self.recorded_before
        return True

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "real_api": self.real_api,
            "checks": list(self.checks),
            "operations": list(self.operations),
            "fields": [f.replace("[[]", "[") for f in self.fields],
        }
        if self.values:
            data["values"] = list(self.values)
        if self.when:
            data["when"] = self.when
        if self.models:
            data["models"] = list(self.models)
        if self.recorded_before is not None:
            data["recorded_before"] = self.recorded_before.isoformat()
        data["evidence"] = [dict(e) for e in self.evidence]
        return data


_MISSING = object()


def _model(body: Any) -> str | None:
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) and model else None


def _field_path(violation: Any, kind: str) -> str | None:
    """The JSON path of the field a finding is about, indices as `[*]`: for an omitted field, the
    object's path plus the field's name (None when the finding is not about a required field)."""
    path = re.sub(r"\[\d+\]", "[*]", violation.path or "$")
    if kind != "omitted":
        return path
    found = _REQUIRED.search(violation.message)
    return None if found is None else f"{path}.{found.group(1)}"


def _recorded_on(exchange: Exchange) -> date | None:
    value = exchange.response.headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC).date()
    except (TypeError, ValueError):
        return None


def _entry(raw: dict[str, Any]) -> Deviation:
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"deviation {raw.get('id')!r}: kind must be one of {KINDS}")
    before = raw.get("recorded_before")
    if isinstance(before, str):
        before = datetime.strptime(before, "%Y-%m-%d").date()
    return Deviation(
        id=raw["id"],
        kind=kind,
        real_api=" ".join(str(raw["real_api"]).split()),
        operations=tuple(raw["operations"]),
        fields=tuple(f.replace("[", "[[]") for f in raw["fields"]),  # `[*]` is literal, as in the paths
        checks=tuple(raw.get("checks") or Deviation.checks),
        values=tuple(raw.get("values") or ()),
        when=dict(raw.get("when") or {}),
        models=tuple(raw.get("models") or ()),
        recorded_before=before,
        evidence=tuple(raw.get("evidence") or ()),
    )


@cache
def table() -> tuple[Deviation, ...]:
    """The packaged table (`spec/deviations.yaml`), parsed once."""
    raws = load_table("deviations.yaml").get("deviations") or ()
    entries = []
    for number, raw in enumerate(raws, 1):
        try:
            entries.append(_entry(raw))
        except (KeyError, TypeError, ValueError) as exc:
            name = raw.get("id") if isinstance(raw, dict) else None
            problem = f"lacks {exc}" if isinstance(exc, KeyError) else str(exc)
            raise DataError(f"spec/deviations.yaml, entry {number} ({name or 'no id'}): {problem}") from None
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        raise DataError("spec/deviations.yaml: deviation ids must be unique")
    return tuple(entries)


def known_deviation(violation: Any, exchange: Exchange) -> str | None:
    """The id of the first deviation that explains a violation, or None."""
    for deviation in table():
        if deviation.covers(violation, exchange):
            return deviation.id
    return None
