"""The runner: sends generated requests to a target and judges every exchange.

    config = resolve({"target": "http://127.0.0.1:8080/v1", "include": "Assistants"})
    session = Session(config)                 # the target, the created objects, the results
    result = session.run("createAssistant", "positive")
    session.close()                           # deletes what the run created

`openai-conformance run` drives it through pytest (`conformance.runner.plugin`, the shipped tests in
`conformance.suite`); `openai-conformance fuzz` through `conformance.runner.fuzz`.
"""

from __future__ import annotations

from conformance.runner.config import OPTIONS, PHASES, RunConfig, resolve

__all__ = ["OPTIONS", "PHASES", "RunConfig", "Session", "resolve"]


def __getattr__(name: str) -> object:
    if name == "Session":  # imported lazily: the pytest plugin loads this package in every test run
        from conformance.runner.session import Session

        return Session
    raise AttributeError(name)
