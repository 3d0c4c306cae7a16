"""The Assistants workflow and its variants: tool calls, cancel, createThreadAndRun, a streamed run.

Each scenario builds its own assistant and thread, so it judges exact answers (the thread holds only
its messages), and leaves nothing behind. Runs use a forced function `tool_choice`, which every
conforming server (the real API's models and the emulator's fake model alike) answers with
`requires_action`.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.checks.lifecycle import machines
from conformance.exchange import Exchange
from conformance.scenarios.flow import Flow
from conformance.scenarios.registry import register

MODEL = "gpt-4o-mini"
TOOL_NAME = "get_weather"
TOOL = {
    "type": "function",
    "function": {
        "name": TOOL_NAME,
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FORCE_TOOL = {"type": "function", "function": {"name": TOOL_NAME}}
QUESTION = 'What is the weather in Paris? Call get_weather with {"city": "Paris"}.'
TOOL_OUTPUT = "sunny, 21 C"
RUN = "thread.run"
RUN_TEMPLATE = "/threads/{thread_id}/runs/{run_id}"
THREAD_TEMPLATE = "/threads/{thread_id}"


def run_terminal() -> frozenset[str]:
    return machines()[RUN].terminal


def _setup(flow: Flow, *, tools: bool = True) -> tuple[str, str]:
    """An assistant (with the function tool) and a thread holding one user message."""
    body: dict[str, Any] = {"model": MODEL, "name": "conformance scenario", "instructions": "Be brief."}
    if tools:
        body["tools"] = [TOOL]
    assistant = flow.json(flow.call("createAssistant", body=body, created=True))
    thread = flow.json(flow.call("createThread", body={}, created=True))
    message = {"role": "user", "content": QUESTION}
    flow.call("createMessage", {"thread_id": thread["id"]}, body=message, created=True)
    return assistant["id"], thread["id"]


def _tool_calls(flow: Flow, exchange: Exchange, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The function calls a `requires_action` run asks for; violations when they are malformed."""
    action = run.get("required_action") or {}
    calls = (action.get("submit_tool_outputs") or {}).get("tool_calls") if isinstance(action, dict) else None
    if action.get("type") != "submit_tool_outputs" or not isinstance(calls, list) or not calls:
        flow.fail(exchange, "a requires_action run names the tool calls to answer", "tool_calls", action)
        flow.abort("no tool calls")
    for call in calls:
        function = call.get("function") or {}
        if call.get("type") != "function" or function.get("name") != TOOL_NAME:
            flow.fail(exchange, f"the forced tool choice calls {TOOL_NAME}", TOOL_NAME, function.get("name"))
        try:
            json.loads(function.get("arguments") or "")
        except ValueError:
            flow.fail(exchange, "tool call arguments are a JSON string", "JSON", function.get("arguments"))
    return calls


def _await_action(flow: Flow, params: dict[str, str]) -> tuple[dict[str, Any], Exchange]:
    run = flow.poll("getRun", params, until=lambda r: r.get("status") in {"requires_action", *run_terminal()})
    exchange = flow.last or flow.call("getRun", params)
    if run.get("status") != "requires_action":
        flow.fail(
            exchange,
            "a run with a forced function tool choice requires action",
            "requires_action",
            run.get("status"),
        )
        flow.abort("no requires_action")
    return flow.json(exchange), exchange


def _text(message: dict[str, Any]) -> str:
    parts = message.get("content") or []
    return "".join(
        (p.get("text") or {}).get("value", "")
        for p in parts
        if isinstance(p, dict) and p.get("type") == "text"
    )


def _check_reply(flow: Flow, thread_id: str, run_id: str) -> None:
    """The thread's messages hold the assistant's reply to this run, after the user's message."""
    exchange = flow.call("listMessages", {"thread_id": thread_id}, query={"order": "asc", "limit": 100})
    data = flow.json(exchange).get("data") or []
    replies = [m for m in data if m.get("role") == "assistant" and m.get("run_id") == run_id]
    if not replies:
        flow.fail(
            exchange, "the completed run's assistant message is in the thread", f"run_id {run_id}", None
        )
        return
    if not _text(replies[-1]).strip():
        flow.fail(exchange, "the assistant's reply has text", "text content", replies[-1].get("content"))
    if data and data[0].get("role") != "user":
        flow.fail(exchange, "in ascending order the user's message comes first", "user", data[0].get("role"))


def _check_steps(flow: Flow, params: dict[str, str], *, tool_output: str | None) -> list[dict[str, Any]]:
    """Run steps: all belong to the run, all terminal, and each is retrievable by id."""
    exchange = flow.call("listRunSteps", params, query={"order": "asc"})
    steps = flow.json(exchange).get("data") or []
    if not steps:
        flow.fail(exchange, "a finished run has run steps", "at least one step", [])
    step_terminal = machines()["thread.run.step"].terminal
    for step in steps:
        if step.get("run_id") != params["run_id"]:
            flow.fail(exchange, "a run step belongs to its run", params["run_id"], step.get("run_id"))
        if step.get("status") not in step_terminal:
            flow.fail(
                exchange,
                "the steps of a finished run are finished",
                sorted(step_terminal),
                step.get("status"),
            )
    if tool_output is not None:
        tool_steps = [s for s in steps if s.get("type") == "tool_calls"]
        outputs = [
            (call.get("function") or {}).get("output")
            for s in tool_steps
            for call in (s.get("step_details") or {}).get("tool_calls") or []
        ]
        if tool_output not in outputs:
            flow.fail(exchange, "the tool_calls step records the submitted output", tool_output, outputs)
    for step in steps[:3]:
        flow.call("getRunStep", {**params, "step_id": step["id"]})
    return steps


@register("assistants-workflow", "createRun")
def assistants_workflow(session: Any, phase: Any) -> None:
    """Assistant with a function tool -> thread -> run -> requires_action -> submit_tool_outputs ->
    completed -> run steps -> the assistant's reply in the thread."""
    with Flow(session, phase, cost=60) as flow:
        assistant_id, thread_id = _setup(flow)
        body = {"assistant_id": assistant_id, "tool_choice": FORCE_TOOL}
        run = flow.json(flow.call("createRun", {"thread_id": thread_id}, body=body, created=True))
        params = {"thread_id": thread_id, "run_id": run["id"]}
        run, exchange = _await_action(flow, params)
        calls = _tool_calls(flow, exchange, run)
        outputs = [{"tool_call_id": call["id"], "output": TOOL_OUTPUT} for call in calls]
        flow.call("submitToolOuputsToRun", params, body={"tool_outputs": outputs})
        run = flow.poll("getRun", params)
        if not flow.expect_status(
            run, "completed", "getRun", params, "the run completes after its tool outputs"
        ):
            return
        # Submitting again to a finished run is refused.
        again = flow.call("submitToolOuputsToRun", params, body={"tool_outputs": outputs}, expect=None)
        if 200 <= again.response.status < 300:
            flow.fail(
                again, "a completed run does not accept tool outputs", "a 4xx error", again.response.status
            )
        _check_steps(flow, params, tool_output=TOOL_OUTPUT)
        _check_reply(flow, thread_id, run["id"])


@register("assistants-cancel", "cancelRun")
def assistants_cancel(session: Any, phase: Any) -> None:
    """A run waiting in requires_action is cancelled: cancelling -> cancelled, its tool step is no
    longer in progress, and a second cancel (now terminal) gets the documented error."""
    with Flow(session, phase, cost=60) as flow:
        assistant_id, thread_id = _setup(flow)
        body = {"assistant_id": assistant_id, "tool_choice": FORCE_TOOL}
        run = flow.json(flow.call("createRun", {"thread_id": thread_id}, body=body, created=True))
        params = {"thread_id": thread_id, "run_id": run["id"]}
        _await_action(flow, params)
        answer = flow.cancel("cancelRun", params, RUN, run["id"])
        if not 200 <= answer.response.status < 300:
            return
        run = flow.poll("getRun", params)
        flow.expect_status(run, "cancelled", "getRun", params, "a cancelled run ends cancelled")
        _check_steps(flow, params, tool_output=None)
        flow.cancel("cancelRun", params, RUN, run["id"])


@register("thread-and-run", "createThreadAndRun")
def thread_and_run(session: Any, phase: Any) -> None:
    """createThreadAndRun: the thread exists with the message, the run completes, the reply is there."""
    with Flow(session, phase, cost=40) as flow:
        body = {"model": MODEL, "name": "conformance scenario", "instructions": "Be brief."}
        assistant = flow.json(flow.call("createAssistant", body=body, created=True))
        thread = {"messages": [{"role": "user", "content": "Say hello."}]}
        exchange = flow.call(
            "createThreadAndRun", body={"assistant_id": assistant["id"], "thread": thread}, created=True
        )
        run = flow.json(exchange)
        thread_id = run.get("thread_id")
        if not isinstance(thread_id, str):
            flow.fail(exchange, "the run names the thread created for it", "thread_id", thread_id)
            return
        flow.adopt(thread_id, THREAD_TEMPLATE, {}, "createThreadAndRun")
        flow.adopt(run["id"], RUN_TEMPLATE, {"thread_id": thread_id}, "createThreadAndRun", RUN)
        flow.call("getThread", {"thread_id": thread_id})
        params = {"thread_id": thread_id, "run_id": run["id"]}
        run = flow.poll("getRun", params)
        if run.get("status") != "completed":
            flow.fail(flow.call("getRun", params), "the run completes", "completed", run.get("status"))
            return
        _check_steps(flow, params, tool_output=None)
        _check_reply(flow, thread_id, run["id"])


def _events(flow: Flow, exchange: Exchange) -> list[tuple[str | None, Any]]:
    response = exchange.response
    if response.events is None:
        flow.fail(
            exchange, "stream: true answers text/event-stream", "text/event-stream", response.media_type
        )
        flow.abort("not a stream")
    out = []
    for event in response.events:
        try:
            data = json.loads(event.data) if event.data and event.data != "[DONE]" else event.data
        except ValueError:
            data = event.data
        out.append((event.event, data))
    return out


def _run_events(events: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    return [
        d
        for name, d in events
        if (name or "").startswith("thread.run.") and isinstance(d, dict) and d.get("object") == RUN
    ]


@register("assistants-stream", "submitToolOuputsToRun")
def assistants_stream(session: Any, phase: Any) -> None:
    """A streamed run: created -> ... -> requires_action (stream ends), then submit_tool_outputs with
    `stream: true` resumes it to completed; the message deltas add up to the final message."""
    with Flow(session, phase, cost=40, family="streaming") as flow:
        phase.result.note_family("lifecycle")
        assistant_id, thread_id = _setup(flow)
        body = {"assistant_id": assistant_id, "tool_choice": FORCE_TOOL, "stream": True}
        exchange = flow.call("createRun", {"thread_id": thread_id}, body=body)
        runs = _run_events(_events(flow, exchange))
        if not runs:
            flow.fail(exchange, "a run stream carries thread.run.* events", "thread.run.created", None)
            return
        run_id = runs[0]["id"]
        flow.adopt(run_id, RUN_TEMPLATE, {"thread_id": thread_id}, "createRun", RUN)
        params = {"thread_id": thread_id, "run_id": run_id}
        if runs[-1].get("status") != "requires_action":
            run, got = _await_action(flow, params)
        else:
            run, got = runs[-1], exchange
        calls = _tool_calls(flow, got, run)
        outputs = [{"tool_call_id": call["id"], "output": TOOL_OUTPUT} for call in calls]
        exchange = flow.call("submitToolOuputsToRun", params, body={"tool_outputs": outputs, "stream": True})
        events = _events(flow, exchange)
        runs = _run_events(events)
        if not runs or runs[-1].get("status") not in run_terminal():
            last = runs[-1].get("status") if runs else None
            flow.fail(exchange, "the resumed stream runs to a terminal state", "completed", last)
        deltas: dict[str, str] = {}
        finals: dict[str, str] = {}
        for name, data in events:
            if not isinstance(data, dict):
                continue
            if name == "thread.message.delta":
                for part in (data.get("delta") or {}).get("content") or []:
                    deltas[data["id"]] = deltas.get(data["id"], "") + (
                        (part.get("text") or {}).get("value") or ""
                    )
            elif name == "thread.message.completed":
                finals[data["id"]] = _text(data)
        for message_id, text in finals.items():
            if message_id in deltas and deltas[message_id] != text:
                flow.fail(
                    exchange, "the message deltas add up to the completed message", text, deltas[message_id]
                )
        run = flow.poll("getRun", params)
        flow.expect_status(run, "completed", "getRun", params, "the streamed run is completed")
        _check_reply(flow, thread_id, run_id)
