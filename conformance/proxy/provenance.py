"""Where replayed evidence comes from: formats, other hosts, headers the recorder filtered, and dates.

A recording says what the API answered on a date, through a recorder that may have filtered some
headers. `Provenance` collects that for the reports (`results.json` → `recordings`, summary.md), so
a reader knows how old the evidence is and what was not judged.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from conformance.checks import match_operation
from conformance.proxy.readers import Recording
from conformance.spec import Spec

# Body fields that date a response (unix seconds), most telling first.
DATE_FIELDS = ("created", "created_at")
_PLAUSIBLE = (datetime(2015, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def scrubbed_headers(recording: Recording, spec: Spec, required: Iterable[str]) -> tuple[str, ...]:
    """Headers a check would want that no response of the recording carries: the recorder filtered them.

    A JSONL cassette is written by our own proxy, which filters nothing, so there a header that never
    came is the upstream's doing and is still reported.
    """
    if recording.format == "jsonl":
        return ()
    present: set[str] = set()
    wanted = {h.lower() for h in required}
    for record in recording.records:
        response = record.get("response") or {}
        present.update(str(k).lower() for k in (response.get("headers") or {}))
        op = match_operation(spec, record["request"]["method"], record["request"]["path"])
        declared = op.response_for(int(response["status"])) if op is not None and response else None
        for name, header in (declared.headers if declared is not None else {}).items():
            if (spec.resolve(header) or {}).get("required"):
                wanted.add(name.lower())
    return tuple(sorted(wanted - present)) if recording.records else ()


def evidence_date(record: dict[str, Any]) -> tuple[datetime, str] | None:
    """When an exchange happened, and what says so: the recording, the `date` header, or the body."""
    started = _parse_iso(record.get("started"))
    if started is not None:
        return started, "recorded"
    response = record.get("response") or {}
    header = (response.get("headers") or {}).get("date")
    if header:
        try:
            return _utc(parsedate_to_datetime(str(header))), "date header"
        except (TypeError, ValueError, IndexError):
            pass
    body = response.get("body")
    if isinstance(body, str) and response.get("body_encoding", "utf-8") == "utf-8" and body[:1] == "{":
        try:
            data = json.loads(body)
        except ValueError:
            return None
        for name in DATE_FIELDS:
            value = data.get(name) if isinstance(data, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                when = datetime.fromtimestamp(value, UTC)
                if _PLAUSIBLE[0] <= when < _PLAUSIBLE[1]:
                    return when, name
    return None


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class Provenance:
    """Accumulates, recording by recording, what `results.json` says about the replayed evidence."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.formats: Counter[str] = Counter()
        self.ignored: list[str] = []
        self.exchanges = 0
        self.other_hosts: Counter[str] = Counter()
        self.hand_written_exchanges = 0
        self.hand_written: dict[str, list[str]] = {}  # file -> why its exchanges are no API answers
        self.scrubbed: Counter[str] = Counter()  # header -> recordings that lack it
        self.date_sources: Counter[str] = Counter()
        self.undated = 0
        self.first: datetime | None = None
        self.last: datetime | None = None

    def ignore(self, path: Path) -> None:
        """A file below a named directory that is no recording (a README, a fixture)."""
        self.ignored.append(str(path))

    def add(self, recording: Recording, scrubbed: Iterable[str]) -> None:
        self.formats[recording.format] += 1
        self.exchanges += len(recording.records)
        self.other_hosts.update(recording.other_hosts)
        if recording.hand_written:
            self.hand_written[str(recording.path)] = sorted(set(recording.hand_written))
            self.hand_written_exchanges += len(recording.hand_written)
        self.scrubbed.update(scrubbed)
        for record in recording.records:
            dated = evidence_date(record)
            if dated is None:
                self.undated += 1
                continue
            when, source = dated
            self.date_sources[source] += 1
            self.first = when if self.first is None else min(self.first, when)
            self.last = when if self.last is None else max(self.last, when)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "files": sum(self.formats.values()),
            "formats": dict(sorted(self.formats.items())),
            "ignored": self.ignored,
            "exchanges": self.exchanges,
            "other_hosts": dict(sorted(self.other_hosts.items(), key=lambda kv: (-kv[1], kv[0]))),
            "hand_written": {"exchanges": self.hand_written_exchanges, "files": self.hand_written},
            "scrubbed_headers": dict(sorted(self.scrubbed.items())),
            "dates": {
                "first": _iso(self.first) if self.first else None,
                "last": _iso(self.last) if self.last else None,
                "dated": sum(self.date_sources.values()),
                "undated": self.undated,
                "sources": dict(sorted(self.date_sources.items())),
            },
        }
