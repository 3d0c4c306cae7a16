"""Uploads: create, add part, complete (which produces a File), cancel.

Documented rules: parts at most 64 MB; no parts after cancel or complete; on complete the parts'
total must equal the `bytes` declared at creation, and a given `md5` must match; an Upload
expires an hour after creation.
"""

from __future__ import annotations

import hashlib

from starlette.responses import Response

from conformance.emulator.common import require
from conformance.emulator.context import Context
from conformance.emulator.endpoints.files import create_file
from conformance.emulator.registry import handles

KIND = "upload"
PART = "upload.part"
MAX_TOTAL = 8 * 1024**3
MAX_PART = 64 * 1024**2
LIFETIME = 3600


@handles("createUpload")
async def create_upload(ctx: Context) -> Response:
    body = ctx.body
    if body["bytes"] < 0 or body["bytes"] > MAX_TOTAL:
        ctx.error(400, f"Invalid 'bytes': an Upload holds 0 to {MAX_TOTAL} bytes.", param="bytes")
    now = ctx.now()
    upload = {
        "id": ctx.new_id(KIND),
        "object": KIND,
        "bytes": body["bytes"],
        "created_at": now,
        "filename": body["filename"],
        "purpose": body["purpose"],
        "status": "pending",
        "expires_at": now + LIFETIME,
        "file": None,
    }
    return ctx.json(ctx.store.put(KIND, upload))


@handles("addUploadPart")
async def add_part(ctx: Context) -> Response:
    upload = _pending(ctx, "add a part to")
    part_file = ctx.files.get("data")
    if part_file is None:
        ctx.error(400, "Missing required parameter: 'data'.", param="data", code="missing_required_parameter")
    data = part_file[1]
    if len(data) > MAX_PART:
        ctx.error(
            400, f"Part too large: {len(data)} bytes; a part holds at most {MAX_PART} bytes.", param="data"
        )
    part = {"id": ctx.new_id(PART), "object": PART, "created_at": ctx.now(), "upload_id": upload["id"]}
    with ctx.store.lock:
        ctx.store.put_blob(part["id"], data)
        return ctx.json(ctx.store.put(PART, part, parent=upload["id"]))


@handles("completeUpload")
async def complete_upload(ctx: Context) -> Response:
    with ctx.store.lock:
        upload = _pending(ctx, "complete")
        chunks = []
        for index, part_id in enumerate(ctx.body["part_ids"]):
            require(ctx, PART, part_id, parent=upload["id"], param=f"part_ids[{index}]")
            chunks.append(ctx.store.get_blob(part_id) or b"")
        data = b"".join(chunks)
        if len(data) != upload["bytes"]:
            ctx.error(
                400,
                f"The Upload was created with bytes={upload['bytes']}, but the parts hold {len(data)} bytes.",
                param="part_ids",
            )
        md5 = ctx.body.get("md5")
        if md5 and md5.lower() != hashlib.md5(data).hexdigest():
            ctx.error(400, "The md5 checksum does not match the uploaded bytes.", param="md5")
        file = create_file(ctx, upload["filename"], data, upload["purpose"])
        for part in ctx.store.list(PART, parent=upload["id"]):
            ctx.store.delete_blob(part["id"])
        return ctx.json(ctx.store.update(KIND, upload["id"], {"status": "completed", "file": file}))


@handles("cancelUpload")
async def cancel_upload(ctx: Context) -> Response:
    with ctx.store.lock:
        upload = _pending(ctx, "cancel")
        return ctx.json(ctx.store.update(KIND, upload["id"], {"status": "cancelled"}))


def _pending(ctx: Context, action: str) -> dict:
    upload = require(ctx, KIND, ctx.path_params["upload_id"])
    if upload["status"] == "pending" and ctx.now() >= upload["expires_at"]:
        upload = ctx.store.update(KIND, upload["id"], {"status": "expired"})
    if upload["status"] != "pending":
        ctx.error(
            400,
            f"Cannot {action} Upload {upload['id']}: its status is '{upload['status']}', not 'pending'.",
            code="invalid_upload_status",
        )
    return upload
