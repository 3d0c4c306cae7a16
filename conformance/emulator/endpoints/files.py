"""Files: multipart upload (purpose, size limit), list (purpose filter), retrieve, delete, content.

The bytes live in the store's blobs under the file id, so `GET /files/{id}/content` gives back
exactly what was uploaded.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from starlette.responses import Response

from conformance.emulator.common import require
from conformance.emulator.context import Context
from conformance.emulator.registry import handles

KIND = "file"
# Purposes whose files expire by default (the real API: batch files after 30 days).
_DEFAULT_EXPIRY = {"batch": 30 * 24 * 3600}


def create_file(
    ctx: Context, filename: str, data: bytes, purpose: str, expires_after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Store a file object and its bytes (uploads use it too)."""
    now = ctx.now()
    file: dict[str, Any] = {
        "id": ctx.new_id(KIND),
        "object": KIND,
        "bytes": len(data),
        "created_at": now,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }
    seconds = (expires_after or {}).get("seconds") or _DEFAULT_EXPIRY.get(purpose)
    if seconds:
        file["expires_at"] = now + int(seconds)
    with ctx.store.lock:
        ctx.store.put_blob(file["id"], data)
        return ctx.store.put(KIND, file)


@handles("createFile")
async def upload_file(ctx: Context) -> Response:
    upload = ctx.files.get("file")
    if upload is None:
        ctx.error(400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
    filename, data, _ = upload
    body = ctx.body or {}
    if not data:
        ctx.error(
            400, "The file is empty. Please upload a file with content.", param="file", code="empty_file"
        )
    expires_after = body.get("expires_after") if isinstance(body.get("expires_after"), dict) else None
    return ctx.json(create_file(ctx, filename, data, body["purpose"], expires_after))


@handles("listFiles")
async def list_files(ctx: Context) -> Response:
    files = ctx.store.list(KIND, copy=False)
    purpose = ctx.query.get("purpose")
    if purpose:
        files = [f for f in files if f["purpose"] == purpose]
    return ctx.json(ctx.paginate(files))


@handles("retrieveFile")
async def retrieve_file(ctx: Context) -> Response:
    return ctx.json(require(ctx, KIND, ctx.path_params["file_id"]))


@handles("deleteFile")
async def delete_file(ctx: Context) -> Response:
    file_id = ctx.path_params["file_id"]
    with ctx.store.lock:
        if ctx.store.delete(KIND, file_id) is None:
            ctx.not_found(KIND, file_id)
        ctx.store.delete_blob(file_id)
    return ctx.json({"id": file_id, "object": "file", "deleted": True})


@handles("downloadFile")
async def download_file(ctx: Context) -> Response:
    file_id = ctx.path_params["file_id"]
    file = require(ctx, KIND, file_id)
    data = ctx.store.get_blob(file_id) or b""
    media_type = mimetypes.guess_type(file["filename"])[0] or "application/octet-stream"
    return Response(data, media_type=media_type)
