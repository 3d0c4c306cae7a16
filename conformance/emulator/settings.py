"""The emulator's knobs, one dataclass: `create_app(spec, **settings)` passes its keywords here."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.errors import ConformanceError


@dataclass
class Settings:
    # Accepted bearer keys; empty means any non-empty key is accepted.
    api_keys: frozenset[str] = field(default_factory=frozenset)
    # Seconds each run state lasts (queued, in_progress, ...); 0 makes runs finish on the next read.
    run_delay: float = 0.0
    # Seconds from a run's creation to its `expires_at` (the real API uses 10 minutes).
    run_expiry: int = 600
    # Seconds a vector store file stays `in_progress` before `completed`.
    file_delay: float = 0.0
    # Requests per second before 429 (None: unlimited).
    rate_limit: float | None = None
    # SQLite file that keeps all state across restarts (None: memory only).
    state_file: str | None = None
    # Largest accepted upload for `POST /files`, in bytes (the real API: 512 MB).
    max_file_bytes: int = 512 * 1024 * 1024
    # Validate every JSON response against the spec; problems collect in `app.state.self_check`.
    self_check: bool = False
    # The clock (unix seconds, float); tests inject one to move time without sleeping.
    clock: Callable[[], float] = time.time
    # Prefix of every route.
    base_path: str = "/v1"
    # Answer by the letter of the spec, not as the real API does (`conformance.emulator.real_api`).
    spec_literal: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.api_keys, str):
            self.api_keys = frozenset([self.api_keys])
        self.api_keys = frozenset(k for k in self.api_keys if k)
        if self.run_delay < 0:
            raise ConformanceError(f"run delay must be >= 0 seconds, got {self.run_delay}")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConformanceError(f"rate limit must be > 0 requests per second, got {self.rate_limit}")
        self.base_path = "/" + self.base_path.strip("/") if self.base_path.strip("/") else ""


def parse_rate(text: str) -> float:
    """`10/s`, `600/m`, `36000/h` or a bare number (per second) → requests per second."""
    value, _, unit = text.strip().partition("/")
    per = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}.get(unit.strip().lower())
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if per is None or number <= 0:
        raise ConformanceError(f"bad rate limit {text!r}: expected N/s, N/m or N/h with N > 0")
    return number / per
