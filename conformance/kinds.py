"""The closed vocabularies of findings and results, as `Literal` types and the tuples derived from them.

One place for each list: the checks, the results, the reports and the CLI import them from here, so a
new family or outcome is added once and a type checker finds every place that must handle it.
"""

from __future__ import annotations

from typing import Literal, get_args

Severity = Literal["error", "warning"]
# Contract families, in report column order ("http": status codes, content types, headers, 5xx).
Family = Literal["schema", "errors", "pagination", "lifecycle", "streaming", "http"]
Outcome = Literal["passed", "failed", "not-implemented", "skipped", "error"]
# The phases of a run (`--phases`), plus "traffic": what the proxy and replay observe.
Phase = Literal["examples", "positive", "negative", "stateful", "scenarios", "traffic"]
# Why a request was sent: generated positive or negative, a scenario step, a recorded exchange, a clean-up.
Mode = Literal["positive", "negative", "scenario", "recorded", "cleanup"]

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
FAMILIES: tuple[Family, ...] = get_args(Family)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
RUN_PHASES: tuple[Phase, ...] = ("examples", "positive", "negative", "stateful", "scenarios")
