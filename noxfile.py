"""Developer sessions: `nox -s tests`, `nox -s lint`, `nox -s typecheck`."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over the typed public modules (`[tool.mypy] files` in pyproject.toml)."""
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session
def conformance(session: nox.Session) -> None:
    """The shipped conformance suite against the bundled emulator: `nox -s conformance -- --include Assistants`."""
    session.install("-e", ".[test]")
    session.run("openai-conformance", "run", "--report-dir", "reports/conformance", *session.posargs)


@nox.session(name="strategies-sweep")
def strategies_sweep(session: nox.Session) -> None:
    """Nightly: 200 draws per operation and mode over every spec, each draw validated (0 bad expected)."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "tests/strategies/test_strategies_properties.py",
        env={"OPENAI_CONFORMANCE_STRATEGY_DRAWS": "200"},
    )
    session.run(
        "python", "benchmarks/strategies.py", "--every", "1", "--mode", "both", "--sweep", *session.posargs
    )
