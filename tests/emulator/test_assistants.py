"""Assistants, threads, messages, runs and steps through the official SDK."""

from __future__ import annotations

import openai
import pytest

from tests.emulator.support import Clock, assert_error, sdk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_assistant_crud(client: openai.OpenAI) -> None:
    created = client.beta.assistants.create(
        model="gpt-4o", name="Math tutor", instructions="Answer briefly.", metadata={"team": "a"}
    )
    assert created.id.startswith("asst_") and created.object == "assistant"
    assert isinstance(created.created_at, int) and created.tools == []
    fetched = client.beta.assistants.retrieve(created.id)
    assert fetched == created
    modified = client.beta.assistants.update(created.id, name="Renamed", tools=[WEATHER])
    assert modified.name == "Renamed" and modified.instructions == "Answer briefly."
    assert modified.tools[0].function.name == "get_weather"
    assert modified.metadata == {"team": "a"}
    result = client.beta.assistants.delete(created.id)
    assert result.deleted and result.id == created.id and result.object == "assistant.deleted"
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.assistants.retrieve(created.id)
    assert created.id in caught.value.message


@pytest.mark.parametrize(
    ("field", "value", "param"),
    [
        ("metadata", {f"k{i}": "v" for i in range(17)}, "metadata"),
        ("metadata", {"k" * 65: "v"}, "metadata." + "k" * 65),
        ("metadata", {"k": "v" * 513}, "metadata.k"),
        ("name", "n" * 257, "name"),
        ("description", "d" * 513, "description"),
        ("instructions", "i" * 256_001, "instructions"),
        ("tools", [{"type": "code_interpreter"}] * 129, "tools"),
        (
            "tool_resources",
            {"code_interpreter": {"file_ids": ["file-x"] * 21}},
            "tool_resources.code_interpreter.file_ids",
        ),
        (
            "tool_resources",
            {"file_search": {"vector_store_ids": ["vs_a", "vs_b"]}},
            "tool_resources.file_search.vector_store_ids",
        ),
    ],
)
def test_assistant_limits(http, field: str, value: object, param: str) -> None:
    response = http.post("/assistants", json={"model": "gpt-4o", field: value})
    assert_error(response, 400, param=param)
    assert http.get("/assistants").json()["data"] == []


def test_assistant_unknown_file_in_tool_resources(http) -> None:
    body = {"model": "gpt-4o", "tool_resources": {"code_interpreter": {"file_ids": ["file-missing"]}}}
    error = assert_error(http.post("/assistants", json=body), 404)
    assert "file-missing" in error["message"]


def test_whole_workflow(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o", instructions="Be brief.")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What is two plus two?"}])
    assert thread.id.startswith("thread_")
    client.beta.threads.messages.create(thread.id, role="user", content="Please answer.")
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    assert run.status == "queued" and run.id.startswith("run_")
    assert run.instructions == "Be brief." and run.expires_at and run.usage is None
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=1)
    assert run.status == "completed" and run.completed_at and run.usage.total_tokens > 0
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert [s.type for s in steps] == ["message_creation"]
    assert steps[0].id.startswith("step_") and steps[0].status == "completed"
    step = client.beta.threads.runs.steps.retrieve(steps[0].id, thread_id=thread.id, run_id=run.id)
    message_id = step.step_details.message_creation.message_id
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [m.role for m in messages] == ["user", "user", "assistant"]
    reply = messages[-1]
    assert reply.id == message_id and reply.run_id == run.id and reply.assistant_id == assistant.id
    assert reply.content[0].text.value == "Echo: Please answer."
    only_run = client.beta.threads.messages.list(thread.id, run_id=run.id).data
    assert [m.id for m in only_run] == [message_id]
    runs = client.beta.threads.runs.list(thread.id).data
    assert [r.id for r in runs] == [run.id]
    updated = client.beta.threads.messages.update(message_id, thread_id=thread.id, metadata={"seen": "yes"})
    assert updated.metadata == {"seen": "yes"}
    assert client.beta.threads.runs.update(run.id, thread_id=thread.id, metadata={"x": "1"}).metadata == {
        "x": "1"
    }
    assert client.beta.threads.update(thread.id, metadata={"t": "1"}).metadata == {"t": "1"}
    assert client.beta.threads.messages.delete(message_id, thread_id=thread.id).deleted
    assert client.beta.threads.delete(thread.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(thread.id)
    client.beta.assistants.delete(assistant.id)


def test_tool_call_round_trip(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread.id, role="user", content='Call get_weather {"city": "Paris"}')
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=1
    )
    assert run.status == "requires_action"
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert len(calls) == 1 and calls[0].function.name == "get_weather"
    assert calls[0].function.arguments == '{"city": "Paris"}' and calls[0].id.startswith("call_")
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.submit_tool_outputs(
            run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": "call_wrong", "output": "x"}]
        )
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": calls[0].id, "output": "sunny"}],
        poll_interval_ms=1,
    )
    assert run.status == "completed" and run.required_action is None
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].function.output == "sunny"
    reply = client.beta.threads.messages.list(thread.id).data[0]
    assert reply.content[0].text.value == "Tool results: get_weather: sunny"


def test_no_tool_call_without_mention(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "hello"}]},
        poll_interval_ms=1,
    )
    assert run.status == "completed"
    forced = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "hello"}]},
        tool_choice="required",
        poll_interval_ms=1,
    )
    assert forced.status == "requires_action"


def test_cancel(make_app) -> None:
    slow = sdk(make_app(run_delay=60))
    assistant = slow.beta.assistants.create(model="gpt-4o")
    thread = slow.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = slow.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    cancelling = slow.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert cancelling.status == "cancelling"
    with pytest.raises(openai.BadRequestError):
        slow.beta.threads.messages.create(thread.id, role="user", content="while active")


def test_cancel_completes_and_terminal_runs_refuse(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(run_delay=5, clock=clock))
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    clock.advance(5)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "in_progress"
    assert client.beta.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelling"
    clock.advance(5)
    cancelled = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.cancel(run.id, thread_id=thread.id)


def test_run_delay_states(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(run_delay=2, clock=clock))
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    seen = [run.status]
    for _ in range(3):
        clock.advance(1)
        seen.append(client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status)
        clock.advance(1)
        seen.append(client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status)
    assert seen == ["queued", "queued", "in_progress", "in_progress", "completed", "completed", "completed"]


def test_expired(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(clock=clock, run_expiry=600))
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "get_weather please"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=1
    )
    assert run.status == "requires_action"
    clock.advance(601)
    expired = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert expired.status == "expired"
    step = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data[0]
    assert step.status == "expired" and step.expired_at


def test_stream_with_sdk_helpers(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "stream this please"}])
    events = []
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            events.append(event.event)
        text = "".join(stream.get_final_messages()[0].content[0].text.value for _ in [0])
        final = stream.get_final_run()
    assert events[0] == "thread.run.created" and events[-1] == "thread.run.completed"
    assert "thread.message.delta" in events and "thread.run.step.completed" in events
    assert final.status == "completed"
    assert text == "Echo: stream this please"


def test_stream_raw_frames(http) -> None:
    assistant = http.post("/assistants", json={"model": "gpt-4o"}).json()
    body = {
        "assistant_id": assistant["id"],
        "stream": True,
        "thread": {"messages": [{"role": "user", "content": "hi"}]},
    }
    response = http.post("/threads/runs", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in response.text.split("\n\n") if f]
    names = [f.split("\n")[0].removeprefix("event: ") for f in frames]
    assert names[0] == "thread.created" and names[1] == "thread.run.created"
    assert names[-2] == "thread.run.completed"
    assert frames[-1] == "event: done\ndata: [DONE]"


def test_stream_stops_at_requires_action_and_resumes(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "get_weather"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        names = [event.event for event in stream]
        run = stream.get_final_run()
    assert names[-1] == "thread.run.requires_action" and run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": call.id, "output": "rain"}]
    ) as stream:
        stream.until_done()
        assert stream.get_final_run().status == "completed"


def test_auto_paging_assistants(client: openai.OpenAI) -> None:
    created = [client.beta.assistants.create(model="gpt-4o", name=f"a{i}").id for i in range(25)]
    page = client.beta.assistants.list(limit=10)
    assert len(page.data) == 10 and page.has_more
    seen = [a.id for a in client.beta.assistants.list(limit=10)]
    assert seen == list(reversed(created))
    ascending = [a.id for a in client.beta.assistants.list(limit=7, order="asc")]
    assert ascending == created


def test_thread_with_run_id_filter_and_active_run_lock(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "one"}])
    first = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=1
    )
    second = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        additional_messages=[{"role": "user", "content": "two"}],
        poll_interval_ms=1,
    )
    texts = [
        m.content[0].text.value for m in client.beta.threads.messages.list(thread.id, run_id=second.id).data
    ]
    assert texts == ["Echo: two"]
    assert len(client.beta.threads.messages.list(thread.id, run_id=first.id).data) == 1


def test_unknown_ids_name_the_id(http) -> None:
    for path in (
        "/assistants/asst_nope",
        "/threads/thread_nope",
        "/threads/thread_nope/runs/run_x",
        "/files/file-nope",
    ):
        error = assert_error(http.get(path), 404)
        assert path.rsplit("/", 1)[-1] in error["message"] or "thread_nope" in error["message"]
    thread = http.post("/threads", json={}).json()
    error = assert_error(http.get(f"/threads/{thread['id']}/messages/msg_nope"), 404)
    assert "msg_nope" in error["message"]
    error = assert_error(http.post(f"/threads/{thread['id']}/runs", json={"assistant_id": "asst_gone"}), 404)
    assert "asst_gone" in error["message"] and error["param"] == "assistant_id"


def test_stream_with_run_delay_paces_events(make_app) -> None:
    client = sdk(make_app(run_delay=0.01))
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "slowly"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        names = [event.event for event in stream]
    assert names[:3] == ["thread.run.created", "thread.run.queued", "thread.run.in_progress"]
    assert names[-1] == "thread.run.completed"
    assert client.beta.threads.runs.list(thread.id).data[0].status == "completed"


def test_fail_marker_and_token_limits(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    failed = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "please #fail"}]},
        poll_interval_ms=1,
    )
    assert failed.status == "failed" and failed.last_error.code == "server_error" and failed.failed_at
    long_text = " ".join(f"w{i}" for i in range(300))
    cut = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": long_text}]},
        max_completion_tokens=256,
        poll_interval_ms=1,
    )
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_completion_tokens"
    assert cut.usage.completion_tokens == 256
    reply = client.beta.threads.messages.list(cut.thread_id).data[0]
    assert reply.status == "incomplete" and reply.incomplete_details.reason == "max_tokens"
    assert len(reply.content[0].text.value.split()) == 256
    over = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": long_text}]},
        max_prompt_tokens=256,
        poll_interval_ms=1,
    )
    assert over.status == "incomplete" and over.incomplete_details.reason == "max_prompt_tokens"
    assert [m.role for m in client.beta.threads.messages.list(over.thread_id).data] == ["user"]
