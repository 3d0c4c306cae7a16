"""Batches: validating → in_progress → finalizing → completed, each line run against the emulator itself.

Each state lasts the emulator's `run_delay` (0: the next read finishes the batch). When the batch
completes, every line of the input JSONL file is sent to the emulator's own endpoint (through the
ASGI app, with the caller's key), and the answers are written to an output file (2xx) and an error
file (everything else), as the real API does. An input file that is missing, not JSONL, or names
another endpoint fails the batch (`status: failed`, `errors.data`). Cancel: cancelling → cancelled.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.responses import Response

from conformance.emulator import textgen
from conformance.emulator.context import Context
from conformance.emulator.endpoints.files import create_file
from conformance.emulator.registry import handles

KIND = "batch"
STATES = ("validating", "in_progress", "finalizing", "completed")
STAMPS = {"in_progress": "in_progress_at", "finalizing": "finalizing_at", "completed": "completed_at"}
WINDOW = 24 * 3600


def _fail(
    batch: dict[str, Any], ctx: Context, code: str, message: str, line: int | None = None
) -> dict[str, Any]:
    batch.update(status="failed", failed_at=ctx.now())
    batch["errors"] = {
        "object": "list",
        "data": [{"code": code, "message": message, "param": None, "line": line}],
    }
    return batch


def _parse(ctx: Context, batch: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The input file's requests, or None after failing the batch."""
    data = ctx.store.get_blob(batch["input_file_id"])
    if data is None:
        _fail(batch, ctx, "missing_file", f"File {batch['input_file_id']} not found.")
        return None
    lines: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            _fail(batch, ctx, "invalid_json_line", "This line is not parseable as valid JSON.", number)
            return None
        if not isinstance(line, dict) or not {"custom_id", "method", "url", "body"} <= set(line):
            _fail(batch, ctx, "invalid_request", "Each line needs custom_id, method, url and body.", number)
            return None
        if str(line["method"]).upper() != "POST":
            _fail(
                batch, ctx, "invalid_method", "Only the POST method is supported in batch requests.", number
            )
            return None
        if line["custom_id"] in seen:
            message = f"The custom_id '{line['custom_id']}' is used more than once in the input file."
            _fail(batch, ctx, "duplicate_custom_id", message, number)
            return None
        seen.add(line["custom_id"])
        if line["url"] != batch["endpoint"]:
            message = (
                f"The URL provided for this request does not match the batch endpoint {batch['endpoint']}."
            )
            _fail(batch, ctx, "mismatched_endpoint", message, number)
            return None
        lines.append(line)
    if not lines:
        _fail(batch, ctx, "empty_file", "The input file contains no requests.")
        return None
    return lines


async def _run(ctx: Context, batch: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    app = ctx.request.app
    base = f"http://emulator{ctx.settings.base_path}"
    auth = ctx.request.headers.get("authorization", "")
    outputs: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=base, headers={"authorization": auth}
    ) as client:
        for line in lines:
            url = "/" + str(line["url"]).removeprefix("/v1").lstrip("/")
            body = dict(line["body"]) if isinstance(line["body"], dict) else line["body"]
            if isinstance(body, dict):
                body.pop("stream", None)
            answer = await client.request(str(line["method"]).upper(), url, json=body)
            try:
                payload = answer.json()
            except ValueError:
                payload = answer.text
            record = {
                "id": "batch_req_" + textgen.digest(batch["id"], line["custom_id"]),
                "custom_id": line["custom_id"],
                "response": {
                    "status_code": answer.status_code,
                    "request_id": answer.headers.get("x-request-id", ""),
                    "body": payload,
                },
                "error": None,
            }
            (outputs if answer.status_code < 400 else errors).append(record)
    name = batch["id"]
    if outputs:
        text = "".join(json.dumps(r) + "\n" for r in outputs).encode()
        batch["output_file_id"] = create_file(ctx, f"{name}_output.jsonl", text, "batch_output")["id"]
    if errors:
        text = "".join(json.dumps(r) + "\n" for r in errors).encode()
        batch["error_file_id"] = create_file(ctx, f"{name}_error.jsonl", text, "batch_output")["id"]
    batch["request_counts"] = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}
    return batch


async def advance(ctx: Context, batch: dict[str, Any]) -> dict[str, Any]:
    """Move a batch along its lifecycle by the clock; each state lasts `run_delay` seconds."""
    delay = ctx.settings.run_delay
    changed = False
    now = min(ctx.now(), batch["expires_at"])  # states after the window closed never happened
    while batch["status"] in STATES[:-1] or batch["status"] == "cancelling":
        since = batch.get("_since", batch["created_at"])
        if now - since < delay and not (delay == 0 and batch.get("_seen")):
            break
        if batch["status"] == "cancelling":
            batch.update(status="cancelled", cancelled_at=ctx.now())
            changed = True
            break
        nxt = STATES[STATES.index(batch["status"]) + 1]
        if batch["status"] == "validating":
            lines = _parse(ctx, batch)
            if lines is None:
                changed = True
                break
            batch["request_counts"] = {"total": len(lines), "completed": 0, "failed": 0}
            models = [line["body"].get("model") for line in lines if isinstance(line["body"], dict)]
            batch["model"] = next((m for m in models if isinstance(m, str)), None)
        if nxt == "completed":
            lines = _parse(ctx, batch)
            if lines is None:
                changed = True
                break
            batch = await _run(ctx, batch, lines)
        batch["status"] = nxt
        batch[STAMPS[nxt]] = ctx.now()
        batch["_since"] = since + delay if delay else ctx.now()
        changed = True
    if batch["status"] in STATES[:-1] and ctx.now() >= batch["expires_at"]:
        # not done within the completion window: expired (the real API keeps partial results)
        batch.update(status="expired", expired_at=batch["expires_at"])
        changed = True
    if not batch.get("_seen"):
        batch["_seen"] = True
        changed = True
    if changed:
        ctx.store.put(KIND, batch)
    return batch


def public(batch: dict[str, Any]) -> dict[str, Any]:
    """The batch as the API shows it: unset timestamps and files are absent (the spec types them non-null)."""
    return {k: v for k, v in batch.items() if not k.startswith("_") and (v is not None or k == "metadata")}


async def _require(ctx: Context) -> dict[str, Any]:
    batch_id = ctx.path_params["batch_id"]
    found = ctx.store.get(KIND, batch_id)
    if found is None:
        ctx.error(404, f"No batch found with id '{batch_id}'.", param="batch_id")
    return await advance(ctx, found)


@handles("createBatch")
async def create_batch(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    file = ctx.store.get("file", str(body.get("input_file_id")))
    if file is None:
        ctx.error(
            400,
            f"Invalid 'input_file_id': '{body.get('input_file_id')}'. File not found.",
            param="input_file_id",
        )
    if file.get("purpose") != "batch":
        ctx.error(400, "The input file must be uploaded with purpose 'batch'.", param="input_file_id")
    now = ctx.now()
    batch = {
        "id": ctx.new_id("batch_"),
        "object": "batch",
        "endpoint": body.get("endpoint"),
        "model": None,
        "errors": None,
        "input_file_id": file["id"],
        "completion_window": body.get("completion_window", "24h"),
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "in_progress_at": None,
        "expires_at": now + WINDOW,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": body.get("metadata"),
    }
    ctx.store.put(KIND, batch)
    return ctx.json(public(batch))


@handles("retrieveBatch")
async def retrieve_batch(ctx: Context) -> Response:
    return ctx.json(public(await _require(ctx)))


@handles("cancelBatch")
async def cancel_batch(ctx: Context) -> Response:
    batch = await _require(ctx)
    if batch["status"] in ("validating", "in_progress", "finalizing"):
        batch.update(status="cancelling", cancelling_at=ctx.now(), _since=ctx.now())
        ctx.store.put(KIND, batch)
    elif batch["status"] not in ("cancelling", "cancelled"):
        ctx.error(409, f"Cannot cancel a batch with status '{batch['status']}'.", param="batch_id")
    return ctx.json(public(batch))


@handles("listBatches")
async def list_batches(ctx: Context) -> Response:
    batches = [public(await advance(ctx, b)) for b in ctx.store.list(KIND)]
    return ctx.json(ctx.paginate(batches))
