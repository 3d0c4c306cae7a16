"""Scenarios: the part of conformance that single requests cannot show.

Multi-step workflows (the Assistants run with tool calls, cancel, createThreadAndRun, a streamed run;
vector store files; batches; fine-tuning; uploads; background responses), lifecycle oracles judged
against the state machines in `spec/lifecycles.yaml`, cursor-pagination walks over collections the
scenario fills, and model-based CRUD state machines (Hypothesis `RuleBasedStateMachine`).

They run in the runner's `scenarios` phase, one pytest item per scenario
(`test_scenarios[assistants-workflow]`), through the run's session: budget, rate limit,
`--read-only` (scenarios then skip), tagging and clean-up apply, and their findings are
`conformance.checks.Violation`s of the families "lifecycle", "pagination" and "streaming".

    from conformance.scenarios import registered        # name -> (operation id, function)
    from conformance.checks.lifecycle import Oracle   # judge any sequence of exchanges yourself
"""

from __future__ import annotations

from conformance.checks.lifecycle import Oracle, machines
from conformance.scenarios import assistants, crud, flows, traversal  # noqa: F401  (registers)
from conformance.scenarios.flow import Abort, Flow, Polling, Skip
from conformance.scenarios.registry import register, registered

__all__ = ["Abort", "Flow", "Oracle", "Polling", "Skip", "machines", "register", "registered"]
