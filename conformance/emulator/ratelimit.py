"""A token bucket for `--rate-limit N/s`, and the `x-ratelimit-*` headers every response carries."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

# Reported when no rate limit is set: generous, constant, and shaped like the real API's.
_UNLIMITED_REQUESTS = 10_000
_TOKENS = 2_000_000


class RateLimiter:
    def __init__(self, rate: float | None, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate or 0.0)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> tuple[bool, dict[str, str]]:
        """Take one request; returns (allowed, headers). Denied answers also carry `retry-after`."""
        if self.rate is None:
            return True, _headers(_UNLIMITED_REQUESTS, _UNLIMITED_REQUESTS - 1, 0.0)
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            allowed = self._tokens >= 1.0
            if allowed:
                self._tokens -= 1.0
            reset = (self.capacity - self._tokens) / self.rate
            headers = _headers(int(self.capacity), int(self._tokens), reset)
            if not allowed:
                headers["retry-after"] = str(max(1, math.ceil((1.0 - self._tokens) / self.rate)))
            return allowed, headers

    def peek(self) -> dict[str, str]:
        """The headers as they stand, without taking a request (for answers refused earlier)."""
        if self.rate is None:
            return _headers(_UNLIMITED_REQUESTS, _UNLIMITED_REQUESTS, 0.0)
        with self._lock:
            tokens = min(self.capacity, self._tokens + (self._clock() - self._last) * self.rate)
            return _headers(int(self.capacity), int(tokens), (self.capacity - tokens) / self.rate)


def _headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": str(limit),
        "x-ratelimit-remaining-requests": str(max(0, remaining)),
        "x-ratelimit-reset-requests": _duration(reset),
        "x-ratelimit-limit-tokens": str(_TOKENS),
        "x-ratelimit-remaining-tokens": str(_TOKENS),
        "x-ratelimit-reset-tokens": "0s",
    }


def _duration(seconds: float) -> str:
    """The real API's format: `1s`, `6m0s`, `120ms`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3g}s" if rest != int(rest) else f"{int(rest)}s"
    return f"{int(minutes)}m{text}" if minutes else text
