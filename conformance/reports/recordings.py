"""What a replay says about its evidence (results.json `recordings`), as lines for the terminal and summary.md.

A reader of a replay's verdict needs to know what it rests on: how many recordings of which
format, which hosts were left out, which headers the recorders had filtered, and the dates.
"""

from __future__ import annotations

from typing import Any

LISTED_HOSTS = 8


def provenance_lines(data: dict[str, Any] | None) -> list[str]:
    """Plain one-line sentences; empty for a run that was not a replay."""
    if not data:
        return []
    formats = ", ".join(f"{kind} ×{n}" for kind, n in (data.get("formats") or {}).items())
    lines = [
        f"{_count(data.get('files', 0), 'recording')} ({formats or 'none'}), {data.get('exchanges', 0)} exchanges "
        f"addressed to {data.get('base_url')} judged"
        + (
            f"; {_count(len(data['ignored']), 'file')} that {'is' if len(data['ignored']) == 1 else 'are'} "
            "no recording skipped"
            if data.get("ignored")
            else ""
        )
    ]
    hosts = data.get("other_hosts") or {}
    if hosts:
        listed = ", ".join(f"{host} ×{n}" for host, n in list(hosts.items())[:LISTED_HOSTS])
        more = f", and {len(hosts) - LISTED_HOSTS} more" if len(hosts) > LISTED_HOSTS else ""
        lines.append(f"other hosts (not judged): {sum(hosts.values())} exchanges: {listed}{more}")
    hand = data.get("hand_written") or {}
    if hand.get("exchanges"):
        lines.append(
            f"written by hand, not the API's answers (not judged): {hand['exchanges']} exchanges in "
            f"{_count(len(hand.get('files') or {}), 'recording')}"
        )
    scrubbed = data.get("scrubbed_headers") or {}
    if scrubbed:
        listed = ", ".join(f"{name} (in {_count(n, 'recording')})" for name, n in scrubbed.items())
        lines.append(f"treated as filtered by the recorder, not reported missing: {listed}")
    dates = data.get("dates") or {}
    if dates.get("first"):
        sources = ", ".join(f"{source} ×{n}" for source, n in (dates.get("sources") or {}).items())
        lines.append(
            f"evidence dated {dates['first'][:10]} to {dates['last'][:10]} ({sources}"
            + (f"; {dates['undated']} exchanges undated" if dates.get("undated") else "")
            + ")"
        )
    elif data.get("exchanges"):
        lines.append("evidence undated: no recording, date header or created timestamp says when")
    return lines


def markdown(data: dict[str, Any] | None) -> list[str]:
    """The same as a summary.md section."""
    lines = provenance_lines(data)
    return ["", "### Recorded evidence", "", *(f"- {line}" for line in lines)] if lines else []


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
