"""A rich progress display per phase: items done, failures, the operation being tested.

Shown by `openai-conformance run` on a terminal, never under CI (the `CI` environment variable) unless
`--progress` asks for it; pytest's own output stays the progress display of a plain `pytest` run.

`notice` is how a long wait (a poll) stays visible: one line on stderr, past pytest's capture (the
runner's plugin installs the writer that gets there) and above the progress display.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


_writer: list[Callable[[str], None]] = [_to_stderr]


def notice(message: str) -> None:
    """One line for whoever watches the run (a heartbeat while polling)."""
    _writer[-1](message)


def push_writer(writer: Callable[[str], None]) -> None:
    """The plugin's writer for the length of a pytest session (sessions nest: a run inside a test)."""
    _writer.append(writer)


def pop_writer() -> None:
    if len(_writer) > 1:
        _writer.pop()


def wanted(setting: bool | None) -> bool:
    if setting is not None:
        return setting
    return sys.stderr.isatty() and not os.environ.get("CI")


def _phase_and_operation(nodeid: str) -> tuple[str, str]:
    name = nodeid.rsplit("::", 1)[-1]
    test, _, param = name.partition("[")
    return test.removeprefix("test_"), param.rstrip("]")


class PhaseProgress:
    def __init__(self) -> None:
        self.display = Progress(
            TextColumn("{task.fields[phase]:>9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
        )
        self.tasks: dict[str, Any] = {}
        self.failed: Counter[str] = Counter()

    def start(self, nodeids: list[str]) -> None:
        totals = Counter(_phase_and_operation(n)[0] for n in nodeids)
        for phase, total in totals.items():
            self.tasks[phase] = self.display.add_task("", total=total, phase=phase, failed=0)
        self.display.start()

    def done(self, nodeid: str, outcome: str) -> None:
        phase, operation = _phase_and_operation(nodeid)
        task = self.tasks.get(phase)
        if task is None:
            return
        if outcome == "failed":
            self.failed[phase] += 1
        self.display.update(task, advance=1, description=operation, failed=self.failed[phase])

    def stop(self) -> None:
        self.display.stop()
