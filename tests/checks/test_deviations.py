"""The known-deviations table: findings the real API shares are marked, not failed; --strict-spec undoes it."""

from __future__ import annotations

import json

from conformance.checks import CheckConfig, run_checks
from conformance.cli import main
from conformance.spec.deviations import table
from tests.checks import check_bodies as b

BATCH = {
    "id": "batch_abc",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "errors": None,
    "input_file_id": "file-abc",
    "completion_window": "24h",
    "status": "validating",
    "output_file_id": None,
    "error_file_id": None,
    "created_at": 1741967569,
    "in_progress_at": None,
    "expires_at": 1742053969,
    "finalizing_at": None,
    "completed_at": None,
    "failed_at": None,
    "expired_at": None,
    "cancelling_at": None,
    "cancelled_at": None,
    "request_counts": {"total": 0, "completed": 0, "failed": 0},
    "metadata": None,
}


def _batch_exchange():
    return b.exchange("POST", "/batches", 200, BATCH, operation_id="createBatch", request_body={})


def test_every_entry_has_evidence_and_a_unique_id():
    entries = table()
    assert len({d.id for d in entries}) == len(entries) > 10
    assert all(d.evidence for d in entries)


def test_nulls_of_unreached_batch_states_are_a_known_deviation(openai_spec):
    found = run_checks(_batch_exchange(), openai_spec, checks=["response.schema"])
    assert found and {v.known_deviation for v in found} == {"batch-unreached-state-null"}
    assert "$.completed_at" in {v.path for v in found}
    assert found[0].to_dict()["known_deviation"] == "batch-unreached-state-null"


def test_strict_spec_reports_them_as_violations(openai_spec):
    strict = run_checks(
        _batch_exchange(), openai_spec, checks=["response.schema"], config=CheckConfig(strict_spec=True)
    )
    assert strict and all(v.known_deviation is None for v in strict)


def test_a_null_the_table_does_not_cover_still_fails(openai_spec):
    body = dict(BATCH, id=None)
    found = run_checks(b.exchange("POST", "/batches", 200, body, operation_id="createBatch"), openai_spec)
    assert [v.path for v in found if not v.known_deviation] == ["$.id"]


def test_fields_added_later_are_only_excused_in_old_recordings(openai_spec):
    body = {"id": "ftjob-1", "object": "fine_tuning.job"}
    old = b.exchange(
        "GET",
        "/fine_tuning/jobs/ftjob-1",
        200,
        body,
        operation_id="retrieveFineTuningJob",
        headers={"date": "Tue, 14 Nov 2023 21:48:24 GMT"},
    )
    new = b.exchange(
        "GET",
        "/fine_tuning/jobs/ftjob-1",
        200,
        body,
        operation_id="retrieveFineTuningJob",
        headers={"date": "Tue, 14 Nov 2026 21:48:24 GMT"},
    )
    seed = [v for v in run_checks(old, openai_spec) if '"seed"' in v.message]
    assert seed and seed[0].known_deviation == "fine-tuning-seed-added-later"
    assert all(v.known_deviation is None for v in run_checks(new, openai_spec) if '"seed"' in v.message)


def test_deviations_command_lists_the_table_with_evidence(capsys):
    assert main(["deviations", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    batch = next(d for d in listed if d["id"] == "batch-unreached-state-null")
    assert batch["kind"] == "null" and any("cassette" in e for e in batch["evidence"])
    assert main(["deviations"]) == 0
    assert "known deviations" in capsys.readouterr().out


def _chat(model: str) -> dict:
    """A chat completion as pydantic-ai recorded it from gpt-5 (test_openai_moderation.yaml, 2026-07-22): no logprobs."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1784728648,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Paris.", "refusal": None, "annotations": []},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 13, "completion_tokens": 11, "total_tokens": 24},
    }


def test_logprobs_left_out_only_excused_for_models_without_logprobs(openai_spec):
    def judged(model: str) -> list:
        exchange = b.exchange(
            "POST",
            "/chat/completions",
            200,
            _chat(model),
            operation_id="createChatCompletion",
            request_body={"model": model.split("-20")[0], "messages": [{"role": "user", "content": "hi"}]},
        )
        return [v for v in run_checks(exchange, openai_spec) if '"logprobs"' in v.message]

    for model in ("gpt-5-2025-08-07", "o3-mini-2025-01-31", "gpt-4o-search-preview-2025-03-11"):
        found = judged(model)
        assert [v.known_deviation for v in found] == ["chat-logprobs-omitted-by-models-without-logprobs"]
    found = judged("gpt-4o-2024-08-06")  # sends "logprobs": null: leaving it out is no known deviation
    assert found and found[0].known_deviation is None
