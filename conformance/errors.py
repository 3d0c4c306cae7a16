"""Errors a user can cause, each with the exit code the CLI documents."""

from __future__ import annotations

# Exit codes of every `openai-conformance` command.
EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_BUDGET = 4
EXIT_SUITE_ERROR = (
    5  # the suite failed on an operation-phase (its bug or broken data): the verdict is incomplete
)
EXIT_INTERRUPTED = 130  # Ctrl-C: the clean-up ran, the partial reports are written
EXIT_TERMINATED = 143  # SIGTERM (a CI timeout): the same


class ConformanceError(Exception):
    """A problem to report as one line on stderr, never as a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class SpecError(ConformanceError):
    """The spec could not be read, parsed, or is not OpenAPI 3.x."""


class DataError(ConformanceError):
    """A packaged contract table (`spec/*.yaml`) does not parse or lacks a field it needs."""


class TargetUnreachable(ConformanceError):
    exit_code = EXIT_UNREACHABLE


class BudgetSpent(ConformanceError):
    exit_code = EXIT_BUDGET


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so the run cleans up and writes its reports."""
