"""Fine-tuning jobs: validating_files → queued → running → succeeded, with events and checkpoints.

Each state lasts the emulator's `run_delay` (0: the next read finishes the job), like runs. A job
that succeeds registers its `ft:` model, so `GET /models` lists it and `DELETE /models/{model}`
can delete it. Cancel (before the end) → cancelled; pause/resume switch a running job.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.emulator import textgen
from conformance.emulator.aliases import local_operation
from conformance.emulator.context import Context
from conformance.emulator.endpoints import models
from conformance.emulator.registry import handles
from conformance.emulator.synth import synthesizer

KIND = "fine_tuning.job"
EVENTS = "fine_tuning.job.event"
CHECKPOINTS = "fine_tuning.job.checkpoint"
STATES = ("validating_files", "queued", "running", "succeeded")
MESSAGES = {
    "validating_files": "Validating training file",
    "queued": "Files validated, moving job to queued state",
    "running": "Fine-tuning job started",
    "succeeded": "The job has successfully completed",
    "cancelled": "Fine-tuning job cancelled",
    "paused": "Fine-tuning job paused",
    "resumed": "Fine-tuning job resumed",
}


def _event(ctx: Context, job: dict[str, Any], status: str) -> None:
    event = {
        "id": "ftevent-" + textgen.digest(job["id"], status, ctx.store.count(EVENTS, job["id"]))[:24],
        "object": "fine_tuning.job.event",
        "created_at": ctx.now(),
        "level": "info",
        "message": MESSAGES.get(status, status),
        "type": "message",
        "data": {},
    }
    ctx.store.put(EVENTS, event, parent=job["id"])


def _finish(ctx: Context, job: dict[str, Any]) -> None:
    model = f"ft:{job['model']}:emulator::{textgen.digest(job['id'])[:8]}"
    job.update(fine_tuned_model=model, finished_at=ctx.now(), trained_tokens=_tokens(ctx, job))
    models.add_fine_tuned(ctx, model)
    epochs = (job.get("hyperparameters") or {}).get("n_epochs")
    epochs = epochs if isinstance(epochs, int) else 3
    for step in range(1, epochs + 1):
        checkpoint = {
            "id": "ftckpt_" + textgen.digest(job["id"], step)[:24],
            "object": "fine_tuning.job.checkpoint",
            "created_at": ctx.now(),
            "fine_tuning_job_id": job["id"],
            "fine_tuned_model_checkpoint": f"{model}:ckpt-step-{step}",
            "step_number": step,
            "metrics": {"step": step, "train_loss": round(1.0 / step, 4), "train_mean_token_accuracy": 0.9},
        }
        ctx.store.put(CHECKPOINTS, checkpoint, parent=job["id"])


def _tokens(ctx: Context, job: dict[str, Any]) -> int:
    data = ctx.store.get_blob(job["training_file"]) or b""
    return textgen.count(data.decode("utf-8", errors="replace"))


def advance(ctx: Context, job: dict[str, Any]) -> dict[str, Any]:
    """Move a job along by the clock; each state lasts `run_delay` seconds."""
    delay = ctx.settings.run_delay
    changed = False
    while job["status"] in STATES[:-1] and not job.get("_paused_at"):
        since = job.get("_since", job["created_at"])
        if ctx.now() - since < delay:
            break
        job["status"] = STATES[STATES.index(job["status"]) + 1]
        job["_since"] = since + delay if delay else ctx.now()
        _event(ctx, job, job["status"])
        if job["status"] == "succeeded":
            _finish(ctx, job)
        changed = True
    if changed:
        ctx.store.put(KIND, job)
    return job


def public(ctx: Context, job: dict[str, Any]) -> dict[str, Any]:
    schema = local_operation(ctx.spec, "retrieveFineTuningJob").responses["200"].content["application/json"]
    visible = {k: v for k, v in job.items() if not k.startswith("_")}
    out = synthesizer(ctx.spec).value(schema, visible, seed=job["id"], now=ctx.now())
    # The spec: these stay null until the job finishes (or fails); synthesis must not fill them in.
    for key in ("error", "fine_tuned_model", "finished_at", "trained_tokens", "estimated_finish"):
        if key in visible and visible[key] is None and key in out:
            out[key] = None
    return out


def _require(ctx: Context) -> dict[str, Any]:
    job_id = ctx.path_params["fine_tuning_job_id"]
    found = ctx.store.get(KIND, job_id)
    if found is None:
        ctx.error(404, f"Could not find fine tune: {job_id}", param="fine_tuning_job_id")
    return advance(ctx, found)


@handles("createFineTuningJob")
async def create_job(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    for param in ("training_file", "validation_file"):
        file_id = body.get(param)
        if file_id is not None and ctx.store.get("file", str(file_id)) is None:
            ctx.error(400, f"invalid {param}: {file_id}", param=param, code="invalid_file")
    method = body.get("method") or {"type": "supervised", "supervised": {"hyperparameters": {}}}
    given = (
        body.get("hyperparameters")
        or (method.get(method.get("type", ""), {}) or {}).get("hyperparameters")
        or {}
    )
    hyper = {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.0}
    hyper.update({k: v for k, v in given.items() if v != "auto"})
    job: dict[str, Any] = {
        "id": ctx.new_id("ftjob-"),
        "object": "fine_tuning.job",
        "created_at": ctx.now(),
        "error": None,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": hyper,
        "model": body.get("model"),
        "organization_id": "org-emulator",
        "result_files": [],
        "seed": body.get("seed") if isinstance(body.get("seed"), int) else 42,
        "status": "validating_files",
        "trained_tokens": None,
        "training_file": body.get("training_file"),
        "validation_file": body.get("validation_file"),
        "integrations": body.get("integrations"),
        "estimated_finish": None,
        "metadata": body.get("metadata"),
        "method": method,
        "suffix": body.get("suffix"),
    }
    _event(ctx, job, "validating_files")
    ctx.store.put(KIND, job)
    return ctx.json(public(ctx, job))


@handles("retrieveFineTuningJob")
async def retrieve_job(ctx: Context) -> Response:
    return ctx.json(public(ctx, _require(ctx)))


@handles("listPaginatedFineTuningJobs")
async def list_jobs(ctx: Context) -> Response:
    jobs = [advance(ctx, j) for j in ctx.store.list(KIND)]
    metadata = ctx.query.get("metadata")
    if isinstance(metadata, dict) and metadata:
        jobs = [j for j in jobs if all((j.get("metadata") or {}).get(k) == v for k, v in metadata.items())]
    page = ctx.paginate(jobs)
    page["data"] = [public(ctx, j) for j in page["data"]]
    return ctx.json(page)


@handles("cancelFineTuningJob")
async def cancel_job(ctx: Context) -> Response:
    job = _require(ctx)
    if job["status"] in ("succeeded", "failed", "cancelled"):
        ctx.error(400, f"Job has already {job['status']}.", param="fine_tuning_job_id")
    job.pop("_paused_at", None)
    job.update(status="cancelled", finished_at=ctx.now())
    _event(ctx, job, "cancelled")
    ctx.store.put(KIND, job)
    return ctx.json(public(ctx, job))


@handles("pauseFineTuningJob")
async def pause_job(ctx: Context) -> Response:
    # The spec's status enum has no `paused`: a paused job keeps its status and its clock stops.
    job = _require(ctx)
    if job["status"] in ("succeeded", "failed", "cancelled"):
        ctx.error(400, f"Job has already {job['status']}.", param="fine_tuning_job_id")
    if not job.get("_paused_at"):
        job["_paused_at"] = ctx.now()
        _event(ctx, job, "paused")
        ctx.store.put(KIND, job)
    return ctx.json(public(ctx, job))


@handles("resumeFineTuningJob")
async def resume_job(ctx: Context) -> Response:
    job = _require(ctx)
    paused_at = job.pop("_paused_at", None)
    if paused_at is None:
        ctx.error(400, "Only a paused job can be resumed.", param="fine_tuning_job_id")
    job["_since"] = job.get("_since", job["created_at"]) + (ctx.now() - paused_at)
    _event(ctx, job, "resumed")
    ctx.store.put(KIND, job)
    return ctx.json(public(ctx, advance(ctx, job)))


@handles("listFineTuningEvents")
async def list_events(ctx: Context) -> Response:
    job = _require(ctx)
    return ctx.json(ctx.paginate(ctx.store.list(EVENTS, parent=job["id"])))


@handles("listFineTuningJobCheckpoints")
async def list_checkpoints(ctx: Context) -> Response:
    job = _require(ctx)
    return ctx.json(ctx.paginate(ctx.store.list(CHECKPOINTS, parent=job["id"])))
