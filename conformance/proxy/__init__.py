"""Validate live and recorded traffic: a reverse proxy that judges every exchange, and replay.

    app = ProxyApp("https://api.openai.com/v1", sink=session.submit)   # serve with uvicorn
    results = replay("traffic.jsonl", spec)                             # no network

See `conformance.proxy.cassette` for the cassette format.
"""

from __future__ import annotations

from conformance.proxy.app import ProxyApp, envelope
from conformance.proxy.cassette import Capture, CassetteWriter, read_cassette, to_exchange, to_record
from conformance.proxy.observer import Observer, Session, judge

__all__ = [
    "Capture",
    "CassetteWriter",
    "Observer",
    "ProxyApp",
    "Session",
    "envelope",
    "judge",
    "read_cassette",
    "to_exchange",
    "to_record",
]
