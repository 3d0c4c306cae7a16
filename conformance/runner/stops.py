"""Ctrl-C and SIGTERM during a run: the run stops, cleans up what it created and writes its reports.

Python raises KeyboardInterrupt wherever the main thread is; when that is a garbage-collector callback
or a `__del__`, the exception is swallowed and the stop is lost. So every stop is also remembered, and
the next request (`check`) raises it again.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any

from conformance.errors import Terminated

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []


def received() -> int:
    """The first stop signal of this run, 0 if none came."""
    return _received[0] if _received else 0


def _exception(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def check() -> None:
    """Raise a stop that came but may have been swallowed."""
    if _received:
        raise _exception(_received[0])


def _install(handler: Any) -> dict[int, Any]:
    try:
        return {sig: signal.signal(sig, handler) for sig in SIGNALS}
    except ValueError:  # not the main thread: signals stay as they are
        return {}


def _restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """For the length of a run: SIGINT and SIGTERM interrupt it (SIGTERM as `Terminated`)."""

    def on_signal(signum: int, frame: Any) -> None:
        first = not _received
        _received.append(signum)
        if first:
            raise _exception(signum)

    _received.clear()
    previous = _install(on_signal)
    try:
        yield
    finally:
        _restore(previous)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """The clean-up: a stop signal is remembered, never raised, so what the run created is deleted."""
    previous = _install(lambda signum, frame: _received.append(signum))
    try:
        yield
    finally:
        _restore(previous)
