"""Vector stores, their files, file batches and search.

A vector store file is `in_progress` for `settings.file_delay` seconds after it is added, then
`completed` (0 = at once). `file_counts`, `usage_bytes` and the store's and batches' `status` are
computed from the files on every read, so they are always right. Search is a deterministic
keyword match over the files' text: score = share of query words found in a chunk.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from conformance.emulator.common import deleted, pick, require
from conformance.emulator.context import Context
from conformance.emulator.limits import check_attributes, check_metadata
from conformance.emulator.registry import handles

KIND = "vector_store"
FILE = "vector_store.file"
BATCH = "vector_store.files_batch"
_DAY = 86400
_AUTO_CHUNKING = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
_WORD = re.compile(r"\w+")


# -- stores --------------------------------------------------------------------------------------


def create_store(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Create a vector store (also used by the `tool_resources.file_search.vector_stores` helper)."""
    now = ctx.now()
    store_id = ctx.new_id(KIND)
    expires_after = body.get("expires_after")
    record = {
        "id": store_id,
        "object": KIND,
        "created_at": now,
        "name": body.get("name") or "",
        "usage_bytes": 0,
        "file_counts": _counts([]),
        "status": "completed",
        "last_active_at": now,
        "metadata": check_metadata(body.get("metadata")) or {},
    }
    if body.get("description") is not None:
        record["description"] = body["description"]
    if expires_after:
        record["expires_after"] = expires_after
    with ctx.store.lock:
        file_ids = list(body.get("file_ids") or [])
        for index, file_id in enumerate(file_ids):
            require(ctx, "file", file_id, param=f"file_ids[{index}]")
        ctx.store.put(KIND, record)
        for file_id in file_ids:
            _add_file(ctx, store_id, file_id, body.get("chunking_strategy"), None)
        return render_store(ctx, ctx.store.one(KIND, store_id))


def render_store(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    files = [_render_file(ctx, f) for f in ctx.store.list(FILE, parent=record["id"])]
    record = dict(record)
    record["file_counts"] = _counts(files)
    record["usage_bytes"] = sum(f["usage_bytes"] for f in files if f["status"] == "completed")
    expires_after = record.get("expires_after")
    if expires_after:
        record["expires_at"] = (record.get("last_active_at") or record["created_at"]) + expires_after[
            "days"
        ] * _DAY
    else:
        record.setdefault("expires_at", None)
    if record.get("expires_at") and ctx.now() >= record["expires_at"]:
        record["status"] = "expired"
    else:
        record["status"] = "in_progress" if record["file_counts"]["in_progress"] else "completed"
    return record


def _store(ctx: Context) -> dict[str, Any]:
    return require(ctx, KIND, ctx.path_params["vector_store_id"])


@handles("createVectorStore")
async def create_vector_store(ctx: Context) -> Response:
    return ctx.json(create_store(ctx, ctx.body or {}))


@handles("listVectorStores")
async def list_vector_stores(ctx: Context) -> Response:
    page = ctx.paginate(ctx.store.list(KIND, copy=False))
    page["data"] = [render_store(ctx, record) for record in page["data"]]
    return ctx.json(page)


@handles("getVectorStore")
async def get_vector_store(ctx: Context) -> Response:
    return ctx.json(render_store(ctx, _store(ctx)))


@handles("modifyVectorStore")
async def modify_vector_store(ctx: Context) -> Response:
    with ctx.store.lock:
        record = _store(ctx)
        changes = pick(ctx.body, "name", "expires_after", "metadata")
        if "metadata" in changes:
            changes["metadata"] = check_metadata(changes["metadata"]) or {}
        if changes.get("name") is None:
            changes.pop("name", None)
        changes["last_active_at"] = ctx.now()
        updated = ctx.store.update(KIND, record["id"], changes)
        if "expires_after" in changes and changes["expires_after"] is None:
            updated.pop("expires_after", None)
            updated = ctx.store.put(KIND, updated)
        return ctx.json(render_store(ctx, updated))


@handles("deleteVectorStore")
async def delete_vector_store(ctx: Context) -> Response:
    store_id = ctx.path_params["vector_store_id"]
    with ctx.store.lock:
        if ctx.store.delete(KIND, store_id) is None:
            ctx.not_found(KIND, store_id)
        for file in ctx.store.list(FILE, parent=store_id):
            ctx.store.delete(FILE, _key(store_id, file["id"]))
        for batch in ctx.store.list(BATCH, parent=store_id):
            ctx.store.delete(BATCH, batch["id"])
    return ctx.json(deleted(store_id, "vector_store.deleted"))


# -- files ---------------------------------------------------------------------------------------


def _key(store_id: str, file_id: str) -> str:
    return f"{store_id}/{file_id}"


def _add_file(
    ctx: Context, store_id: str, file_id: str, chunking: Any, attributes: Any, batch_id: str | None = None
) -> dict[str, Any]:
    file = ctx.store.get("file", file_id) or {"bytes": 0}
    strategy = chunking if chunking and chunking.get("type") == "static" else _AUTO_CHUNKING
    record = {
        "id": file_id,
        "object": FILE,
        "usage_bytes": file["bytes"],
        "created_at": ctx.now(),
        "vector_store_id": store_id,
        "status": "in_progress",
        "last_error": None,
        "chunking_strategy": strategy,
        "attributes": check_attributes(attributes) or {},
        "_ready_at": ctx.settings.clock() + ctx.settings.file_delay,
        "_batch_id": batch_id,
    }
    ctx.store.put(FILE, record, parent=store_id, key=_key(store_id, file_id))
    ctx.store.update(KIND, store_id, {"last_active_at": ctx.now()})
    return record


def _render_file(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    record = dict(record)
    if record["status"] == "in_progress" and ctx.settings.clock() >= record["_ready_at"]:
        record["status"] = "completed"
        if ctx.store.get("file", record["id"]) is None:
            record["status"] = "failed"
            record["last_error"] = {"code": "invalid_file", "message": "The file was deleted."}
    return record


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _counts(files: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0}
    for file in files:
        counts[file["status"]] = counts.get(file["status"], 0) + 1
    counts["total"] = len(files)
    return counts


def _file(ctx: Context) -> dict[str, Any]:
    store_id, file_id = ctx.path_params["vector_store_id"], ctx.path_params["file_id"]
    record = ctx.store.get(FILE, _key(store_id, file_id))
    if record is None:
        ctx.not_found(FILE, file_id)
    return _render_file(ctx, record)


@handles("createVectorStoreFile")
async def create_vector_store_file(ctx: Context) -> Response:
    body = ctx.body
    with ctx.store.lock:
        record = _store(ctx)
        require(ctx, "file", body["file_id"], param="file_id")
        added = _add_file(
            ctx, record["id"], body["file_id"], body.get("chunking_strategy"), body.get("attributes")
        )
        return ctx.json(_public(_render_file(ctx, added)))


@handles("listVectorStoreFiles")
async def list_vector_store_files(ctx: Context) -> Response:
    record = _store(ctx)
    files = [_render_file(ctx, f) for f in ctx.store.list(FILE, parent=record["id"])]
    return ctx.json(_file_page(ctx, files))


def _file_page(ctx: Context, files: list[dict[str, Any]]) -> dict[str, Any]:
    wanted = ctx.query.get("filter")
    if wanted:
        files = [f for f in files if f["status"] == wanted]
    page = ctx.paginate(files)
    page["data"] = [_public(f) for f in page["data"]]
    return page


@handles("getVectorStoreFile")
async def get_vector_store_file(ctx: Context) -> Response:
    _store(ctx)
    return ctx.json(_public(_file(ctx)))


@handles("updateVectorStoreFileAttributes")
async def update_vector_store_file(ctx: Context) -> Response:
    with ctx.store.lock:
        _store(ctx)
        record = _file(ctx)
        key = _key(record["vector_store_id"], record["id"])
        attributes = check_attributes(ctx.body.get("attributes")) or {}
        return ctx.json(_public(_render_file(ctx, ctx.store.update(FILE, key, {"attributes": attributes}))))


@handles("deleteVectorStoreFile")
async def delete_vector_store_file(ctx: Context) -> Response:
    with ctx.store.lock:
        record = _store(ctx)
        file_id = ctx.path_params["file_id"]
        if ctx.store.delete(FILE, _key(record["id"], file_id)) is None:
            ctx.not_found(FILE, file_id)
    return ctx.json(deleted(file_id, "vector_store.file.deleted"))


@handles("retrieveVectorStoreFileContent")
async def file_content(ctx: Context) -> Response:
    _store(ctx)
    record = _file(ctx)
    text = (ctx.store.get_blob(record["id"]) or b"").decode("utf-8", errors="replace")
    data = [{"type": "text", "text": text}] if text else []
    return ctx.json(
        {"object": "vector_store.file_content.page", "data": data, "has_more": False, "next_page": None}
    )


# -- file batches --------------------------------------------------------------------------------


def _render_batch(ctx: Context, batch: dict[str, Any]) -> dict[str, Any]:
    files = [
        _render_file(ctx, f)
        for f in ctx.store.list(FILE, parent=batch["vector_store_id"])
        if f.get("_batch_id") == batch["id"]
    ]
    counts = _counts(files)
    status = (
        "cancelled" if batch.get("_cancelled") else "in_progress" if counts["in_progress"] else "completed"
    )
    if status == "completed" and counts["total"] and counts["failed"] == counts["total"]:
        status = "failed"
    return _public(dict(batch, file_counts=counts, status=status))


def _batch(ctx: Context) -> dict[str, Any]:
    store_id, batch_id = ctx.path_params["vector_store_id"], ctx.path_params["batch_id"]
    _store(ctx)
    return require(ctx, BATCH, batch_id, parent=store_id)


@handles("createVectorStoreFileBatch")
async def create_file_batch(ctx: Context) -> Response:
    body = ctx.body or {}
    entries = [{"file_id": file_id} for file_id in body.get("file_ids") or []]
    entries += list(body.get("files") or [])
    if not entries:
        ctx.error(400, "Provide 'file_ids' or 'files' with at least one file.", param="file_ids")
    if body.get("file_ids") and body.get("files"):
        ctx.error(400, "Provide only one of 'file_ids' or 'files'.", param="files")
    with ctx.store.lock:
        record = _store(ctx)
        for index, entry in enumerate(entries):
            field = "file_ids" if body.get("file_ids") else "files"
            require(ctx, "file", entry["file_id"], param=f"{field}[{index}]")
        batch = {
            "id": ctx.new_id(BATCH),
            "object": BATCH,
            "created_at": ctx.now(),
            "vector_store_id": record["id"],
            "status": "in_progress",
            "file_counts": _counts([]),
        }
        ctx.store.put(BATCH, batch, parent=record["id"])
        for entry in entries:
            _add_file(
                ctx,
                record["id"],
                entry["file_id"],
                entry.get("chunking_strategy") or body.get("chunking_strategy"),
                entry.get("attributes") if entry.get("attributes") is not None else body.get("attributes"),
                batch_id=batch["id"],
            )
        return ctx.json(_render_batch(ctx, batch))


@handles("getVectorStoreFileBatch")
async def get_file_batch(ctx: Context) -> Response:
    return ctx.json(_render_batch(ctx, _batch(ctx)))


@handles("cancelVectorStoreFileBatch")
async def cancel_file_batch(ctx: Context) -> Response:
    with ctx.store.lock:
        batch = _batch(ctx)
        current = _render_batch(ctx, batch)
        if current["status"] != "in_progress":
            ctx.error(
                400, f"Cannot cancel a file batch whose status is '{current['status']}'.", param="batch_id"
            )
        for file in ctx.store.list(FILE, parent=batch["vector_store_id"]):
            if file.get("_batch_id") == batch["id"] and _render_file(ctx, file)["status"] == "in_progress":
                ctx.store.update(FILE, _key(batch["vector_store_id"], file["id"]), {"status": "cancelled"})
        batch = ctx.store.update(BATCH, batch["id"], {"_cancelled": True})
        return ctx.json(_render_batch(ctx, batch))


@handles("listFilesInVectorStoreBatch")
async def list_batch_files(ctx: Context) -> Response:
    batch = _batch(ctx)
    files = [
        _render_file(ctx, f)
        for f in ctx.store.list(FILE, parent=batch["vector_store_id"])
        if f.get("_batch_id") == batch["id"]
    ]
    return ctx.json(_file_page(ctx, files))


# -- search --------------------------------------------------------------------------------------


@handles("searchVectorStore")
async def search(ctx: Context) -> Response:
    record = _store(ctx)
    body = ctx.body
    queries = body["query"] if isinstance(body["query"], list) else [body["query"]]
    terms = {w.lower() for q in queries for w in _WORD.findall(q)}
    limit = int(body.get("max_num_results") or 10)  # an integer schema admits 14.0
    results = []
    for file in ctx.store.list(FILE, parent=record["id"]):
        file = _render_file(ctx, file)
        if file["status"] != "completed" or not _matches(file.get("attributes") or {}, body.get("filters")):
            continue
        meta = ctx.store.get("file", file["id"])
        text = (ctx.store.get_blob(file["id"]) or b"").decode("utf-8", errors="replace")
        for chunk in _chunks(text):
            words = {w.lower() for w in _WORD.findall(chunk)}
            score = len(terms & words) / len(terms) if terms else 0.0
            if score > 0:
                results.append(
                    {
                        "file_id": file["id"],
                        "filename": meta["filename"] if meta else "",
                        "score": round(score, 4),
                        "attributes": file.get("attributes") or {},
                        "content": [{"type": "text", "text": chunk}],
                    }
                )
    results.sort(key=lambda r: -r["score"])  # stable: ties keep file and chunk order
    threshold = ((body.get("ranking_options") or {}).get("score_threshold")) or 0
    results = [r for r in results if r["score"] >= threshold][:limit]
    ctx.store.update(KIND, record["id"], {"last_active_at": ctx.now()})
    return ctx.json(
        {
            "object": "vector_store.search_results.page",
            "search_query": list(queries),
            "data": results,
            "has_more": False,
            "next_page": None,
        }
    )


def _chunks(text: str, size: int = 800) -> list[str]:
    """Paragraph chunks of at most `size` characters (a stand-in for token chunking)."""
    chunks: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        while paragraph:
            chunks.append(paragraph[:size])
            paragraph = paragraph[size:]
    return chunks


def _matches(attributes: dict[str, Any], filters: Any) -> bool:
    """Comparison (`eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in`, `nin`) and compound (`and`, `or`) filters."""
    if not filters:
        return True
    kind = filters.get("type")
    if kind in ("and", "or"):
        parts = [_matches(attributes, f) for f in filters.get("filters") or []]
        return all(parts) if kind == "and" else any(parts)
    if filters.get("key") not in attributes:
        return kind in ("ne", "nin")
    value, target = attributes[filters["key"]], filters.get("value")
    try:
        return {
            "eq": lambda: value == target,
            "ne": lambda: value != target,
            "gt": lambda: value > target,
            "gte": lambda: value >= target,
            "lt": lambda: value < target,
            "lte": lambda: value <= target,
            "in": lambda: value in (target or []),
            "nin": lambda: value not in (target or []),
        }.get(kind, lambda: False)()
    except TypeError:
        return False
