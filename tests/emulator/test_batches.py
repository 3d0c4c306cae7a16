"""Batches and fine-tuning jobs end to end through the official SDK, following `run_delay`."""

from __future__ import annotations

import json

import openai
import pytest

from conformance.emulator import textgen
from tests.emulator.support import Clock, sdk


def _jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _chat_line(custom_id: str, text: str) -> dict:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def test_batch_end_to_end_every_line_answered(client: openai.OpenAI) -> None:
    lines = [_chat_line(f"req-{i}", f"question {i}") for i in range(3)]
    lines.append(
        {"custom_id": "bad", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "x"}}
    )
    upload = client.files.create(file=("input.jsonl", _jsonl(lines)), purpose="batch")
    batch = client.batches.create(
        input_file_id=upload.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"run": "1"},
    )
    assert batch.status == "validating" and batch.metadata == {"run": "1"}
    done = client.batches.retrieve(batch.id)  # run_delay 0: the next read finishes it
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (4, 3, 1)
    assert done.in_progress_at and done.finalizing_at and done.completed_at
    output = [json.loads(line) for line in client.files.content(done.output_file_id or "").text.splitlines()]
    assert sorted(o["custom_id"] for o in output) == ["req-0", "req-1", "req-2"]
    for line in output:
        reply = line["response"]["body"]["choices"][0]["message"]["content"]
        assert line["response"]["status_code"] == 200
        assert reply == textgen.REPLY_PREFIX + "question " + line["custom_id"].removeprefix("req-")
    errors = [json.loads(line) for line in client.files.content(done.error_file_id or "").text.splitlines()]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("bad", 400)]
    assert [b.id for b in client.batches.list()] == [batch.id]


def test_batch_states_follow_run_delay(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(run_delay=10, clock=clock))
    upload = client.files.create(file=("in.jsonl", _jsonl([_chat_line("a", "hi")])), purpose="batch")
    batch = client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    seen = [client.batches.retrieve(batch.id).status]
    for _ in range(3):
        clock.advance(10)
        seen.append(client.batches.retrieve(batch.id).status)
    assert seen == ["validating", "in_progress", "finalizing", "completed"]


def test_batch_expires_after_its_completion_window(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(run_delay=12 * 3600, clock=clock))
    upload = client.files.create(file=("in.jsonl", _jsonl([_chat_line("a", "hi")])), purpose="batch")
    batch = client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    clock.advance(24 * 3600)
    expired = client.batches.retrieve(batch.id)
    assert expired.status == "expired" and expired.expired_at == batch.created_at + 24 * 3600
    quick = sdk(make_app(run_delay=60, clock=clock))  # finished in time, read late: still completed
    upload = quick.files.create(file=("in.jsonl", _jsonl([_chat_line("a", "hi")])), purpose="batch")
    late = quick.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    clock.advance(48 * 3600)
    assert quick.batches.retrieve(late.id).status == "completed"


def test_batch_cancel(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(run_delay=10, clock=clock))
    upload = client.files.create(file=("in.jsonl", _jsonl([_chat_line("a", "hi")])), purpose="batch")
    batch = client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert client.batches.cancel(batch.id).status == "cancelling"
    clock.advance(10)
    final = client.batches.retrieve(batch.id)
    assert final.status == "cancelled" and final.cancelled_at is not None and final.output_file_id is None


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json\n", "invalid_json_line"),
        (_jsonl([{**_chat_line("a", "hi"), "url": "/v1/embeddings"}]), "mismatched_endpoint"),
        (b"\n\n", "empty_file"),
        (_jsonl([_chat_line("same", "a"), _chat_line("same", "b")]), "duplicate_custom_id"),
        (_jsonl([{**_chat_line("a", "hi"), "method": "GET"}]), "invalid_method"),
    ],
)
def test_bad_input_file_fails_the_batch(client: openai.OpenAI, content: bytes, code: str) -> None:
    upload = client.files.create(file=("in.jsonl", content), purpose="batch")
    batch = client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    failed = client.batches.retrieve(batch.id)
    assert failed.status == "failed" and failed.errors is not None
    assert [e.code for e in failed.errors.data or []] == [code]


def test_batch_needs_an_existing_batch_file(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )
    other = client.files.create(file=("a.txt", b"x"), purpose="assistants")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id=other.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")


# -- fine-tuning -----------------------------------------------------------------------------------------

TRAINING = _jsonl(
    [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(5)
    ]
)


def test_fine_tuning_job_lifecycle_events_checkpoints_and_model(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(run_delay=60, clock=clock))
    training = client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id, suffix="demo")
    statuses = [job.status]
    for _ in range(3):
        clock.advance(60)
        statuses.append(client.fine_tuning.jobs.retrieve(job.id).status)
    assert statuses == ["validating_files", "queued", "running", "succeeded"]
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.fine_tuned_model and done.fine_tuned_model.startswith("ft:gpt-4o-mini:")
    assert done.trained_tokens and done.finished_at
    events = client.fine_tuning.jobs.list_events(job.id)
    assert len(events.data) == 4
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id)
    assert [c.step_number for c in checkpoints.data] == [3, 2, 1]
    assert done.fine_tuned_model in [m.id for m in client.models.list()]
    assert client.models.delete(done.fine_tuned_model).deleted is True
    assert [j.id for j in client.fine_tuning.jobs.list()] == [job.id]


def test_fine_tuning_cancel_pause_resume(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(run_delay=60, clock=clock))
    training = client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    clock.advance(60)
    assert client.fine_tuning.jobs.pause(job.id).status == "queued"
    clock.advance(600)  # paused: the job does not move (the spec has no `paused` status to show)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    assert client.fine_tuning.jobs.resume(job.id).status == "queued"
    clock.advance(60)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id)]
    assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    clock.advance(600)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)


def test_fine_tuning_needs_an_existing_training_file(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-missing")
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
