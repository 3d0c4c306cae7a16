"""Which operations a run covers: include/exclude patterns, read-only, costly operations, sharding."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from conformance.errors import ConformanceError
from conformance.results import REAL_ACCOUNT
from conformance.runner.config import RunConfig
from conformance.runner.verdict import promised
from conformance.spec import Operation

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# POSTs that spend real money or quota: left out on a real-account target unless --allow-costly.
COSTLY_PATHS = (
    "/images/*",
    "/audio/speech",
    "/audio/transcriptions",
    "/audio/translations",
    "/audio/voices",
    "/audio/voice_consents",
    "/fine_tuning/jobs",
    "/fine_tuning/alpha/graders/run",
    "/batches",
    "/videos",
    "/videos/*",
    "/evals/{eval_id}/runs",
    "/realtime/calls",
    "/realtime/calls/*",
)
# Organization administration changes a real account for everyone (invites send e-mail, projects cannot
# be deleted): also left out on a real-account target unless --allow-costly.
ADMIN_PREFIXES = ("/organization/", "/projects/")
# Skip reasons of a real-account target; the reports list them as what the target kind left out.
COSTLY = f"costly operation, left out {REAL_ACCOUNT} (--allow-costly or --target-kind test-server runs it)"
ADMIN = (
    f"changes organization settings, left out {REAL_ACCOUNT} "
    "(--allow-costly or --target-kind test-server runs it)"
)
NOT_OWNED = f"would change an object this run did not create, left out {REAL_ACCOUNT}"
UNCREATABLE = f"would change an object the API gives no way to create, left out {REAL_ACCOUNT}"
COSTLY_PARENT = (
    f"changes an object only a costly operation creates, left out {REAL_ACCOUNT} "
    "(--allow-costly or --target-kind test-server runs it)"
)
ADMIN_PARENT = (
    f"changes an object only organization administration creates, left out {REAL_ACCOUNT} "
    "(--allow-costly or --target-kind test-server runs it)"
)
# Objects with no create of their own that fine-tuning (a costly operation) makes.
FINE_TUNED = ("/models/{model}", "/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}")


def matches(operation: Operation, pattern: str) -> bool:
    """An operation id or glob (`createAssistant`, `create*`), a tag (`Assistants`), or a path glob (`/threads/*`)."""
    if pattern.startswith("/"):
        return fnmatch.fnmatchcase(operation.path, pattern) or fnmatch.fnmatchcase(
            operation.path, pattern + "/*"
        )
    lowered = pattern.lower()
    if any(tag.lower() == lowered for tag in operation.tags):
        return True
    return fnmatch.fnmatchcase(operation.id.lower(), lowered)


def is_costly(operation: Operation) -> bool:
    if operation.method in SAFE_METHODS:
        return False
    return any(fnmatch.fnmatchcase(operation.path, p) for p in COSTLY_PATHS)


def is_admin_change(operation: Operation) -> bool:
    return operation.method not in SAFE_METHODS and operation.path.startswith(ADMIN_PREFIXES)


@dataclass(frozen=True)
class Selected:
    operation: Operation
    skip: str | None = None  # why it is left out of this run (reported as skipped), None to run it


def select(operations: list[Operation], config: RunConfig) -> list[Selected]:
    """The operations of this run (and this shard), each with a skip reason or None.

    Patterns that match nothing are a usage error, so a typo does not silently run nothing.
    With `--profile`, only the operations the profile promises are candidates.
    """
    for pattern in [*config.include, *config.exclude]:
        if not any(matches(op, pattern) for op in operations):
            raise ConformanceError(f"--include/--exclude: {pattern!r} matches no operation of the spec")
    chosen = [
        op
        for op in promised(operations, config)
        if (not config.include or any(matches(op, p) for p in config.include))
        and not any(matches(op, p) for p in config.exclude)
    ]
    if config.profile and not chosen:
        raise ConformanceError(
            f"--include/--exclude leave none of the operations of profile {config.profile}"
        )
    if config.shard is not None:
        index, total = config.shard
        ordered = sorted(operations, key=lambda o: (o.path, o.method, o.id))
        position = {op.id: i for i, op in enumerate(ordered)}
        chosen = [op for op in chosen if position[op.id] % total + 1 == index]
    result = []
    for op in chosen:
        result.append(Selected(op, skip_reason(op, config)))
    return result


# Options that do not change which requests a shard sends: shards started alike but for these share a run.
_NOT_THE_RUN = ("shard", "shard_run", "report_dir", "workers", "progress")
# CI variables naming one pipeline run, the same in every job of its matrix (not the attempt: a re-run of
# the failed shards keeps the others' artifacts).
_CI_RUN_VARIABLES = (
    ("GITHUB_RUN_ID", "github"),
    ("CI_PIPELINE_ID", "gitlab"),
    ("BUILDKITE_BUILD_ID", "buildkite"),
)


def shard_record(
    config: RunConfig, spec_sha256: str, environ: Mapping[str, str] | None = None
) -> dict[str, object] | None:
    """What a shard's results say about the whole run: {index, total, run}. `run` is shared by every
    shard of one run (`--shard-run`, else the CI's run id, else a digest of how the run was started), so
    `report merge` can tell a complete set from a partial or mixed one. None when not sharded."""
    if config.shard is None:
        return None
    index, total = config.shard
    environ = os.environ if environ is None else environ
    run = config.shard_run
    for variable, ci in _CI_RUN_VARIABLES:
        if run is None and environ.get(variable):
            run = f"{ci}-{environ[variable]}"
    if run is None:
        how = {k: v for k, v in config.public().items() if k not in _NOT_THE_RUN}
        text = json.dumps({"spec": spec_sha256, **how}, sort_keys=True, default=str)
        run = "options-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return {"index": index, "total": total, "run": run}


def skip_reason(operation: Operation, config: RunConfig) -> str | None:
    if config.read_only and operation.method not in SAFE_METHODS:
        return "--read-only: sends only safe requests"
    if config.real_account and not config.allow_costly:
        if is_costly(operation):
            return COSTLY
        if is_admin_change(operation):
            return ADMIN
    return None


def unowned_reason(template: str, creators: Mapping[str, Operation], config: RunConfig) -> str:
    """Why a change to an object the run does not own is left out: the object (or one above it) is made
    only by a costly or an administration operation this run leaves out, the API cannot make it, or
    the run simply did not (a create that failed)."""
    segments = template.split("/")
    items = ["/".join(segments[: i + 1]) for i, part in enumerate(segments) if part.startswith("{")]
    for item in items:
        creator = creators.get(item)
        left_out = skip_reason(creator, config) if creator is not None else None
        if left_out == COSTLY or (creator is None and item in FINE_TUNED and not config.allow_costly):
            return COSTLY_PARENT
        if left_out == ADMIN:
            return ADMIN_PARENT
    if any(creators.get(item) is None for item in items):
        return UNCREATABLE
    return NOT_OWNED
