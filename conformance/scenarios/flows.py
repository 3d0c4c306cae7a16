"""Long-running objects end to end: vector store files and file batches, batches, fine-tuning jobs,
uploads and background responses — each polled to a terminal state, judged by the lifecycle oracle,
and cancelled both while active and once finished (the documented error)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from conformance.scenarios.flow import Flow
from conformance.scenarios.registry import register

MODEL = "gpt-4o-mini"
FINE_TUNE_MODEL = "gpt-4o-mini-2024-07-18"
DOCUMENT = b"Conformance notes. The harbour lighthouse is painted blue and white.\n"
FILE_TEMPLATE = "/files/{file_id}"
BATCH_WINDOW = "the 24 h completion window"
TRAINING_WINDOW = "as long as training takes"


def upload(flow: Flow, name: str, content: bytes, purpose: str, kind: str = "text/plain") -> str:
    """Create a File (multipart) and return its id."""
    exchange = flow.call(
        "createFile", body={"purpose": purpose}, files={"file": (name, content, kind)}, created=True
    )
    return str(flow.json(exchange)["id"])


def _vector_store(flow: Flow) -> str:
    exchange = flow.call("createVectorStore", body={"name": "conformance scenario"}, created=True)
    return str(flow.json(exchange)["id"])


@register("vector-store-files", "createVectorStoreFile")
def vector_store_files(session: Any, phase: Any) -> None:
    """upload -> vector store -> the file becomes completed -> counts -> search -> remove the file
    from the store (the File itself stays)."""
    with Flow(session, phase, cost=40) as flow:
        file_id = upload(flow, "notes.txt", DOCUMENT, "assistants")
        store_id = _vector_store(flow)
        params = {"vector_store_id": store_id, "file_id": file_id}
        flow.call("createVectorStoreFile", params, body={"file_id": file_id}, created=True)
        found = flow.poll("getVectorStoreFile", params)
        if not flow.expect_status(
            found, "completed", "getVectorStoreFile", params, "a small text file is indexed"
        ):
            return
        exchange = flow.call("getVectorStore", {"vector_store_id": store_id})
        counts = flow.json(exchange).get("file_counts") or {}
        if counts.get("completed") != 1 or counts.get("total") != 1:
            flow.fail(exchange, "file_counts count the completed file", {"completed": 1, "total": 1}, counts)
        if flow.has("searchVectorStore"):
            exchange = flow.call(
                "searchVectorStore", {"vector_store_id": store_id}, body={"query": "lighthouse"}
            )
            hits = flow.json(exchange).get("data") or []
            if any(hit.get("file_id") != file_id for hit in hits if isinstance(hit, dict)):
                flow.fail(
                    exchange,
                    "search only finds files of the store",
                    file_id,
                    [h.get("file_id") for h in hits],
                )
        flow.call("deleteVectorStoreFile", params)
        gone = flow.call("getVectorStoreFile", params, expect=None)
        if gone.response.status != 404:
            flow.fail(gone, "a file removed from a vector store is gone from it", 404, gone.response.status)
        flow.call("retrieveFile", {"file_id": file_id})


@register("vector-store-file-batch", "createVectorStoreFileBatch")
def vector_store_file_batch(session: Any, phase: Any) -> None:
    """A file batch of two files completes, lists exactly its files, and refuses a late cancel."""
    with Flow(session, phase, cost=40) as flow:
        files = [
            upload(flow, f"part{i}.txt", DOCUMENT + bytes(str(i), "ascii"), "assistants") for i in range(2)
        ]
        store_id = _vector_store(flow)
        exchange = flow.call(
            "createVectorStoreFileBatch",
            {"vector_store_id": store_id},
            body={"file_ids": files},
            created=True,
        )
        batch = flow.json(exchange)
        params = {"vector_store_id": store_id, "batch_id": batch["id"]}
        batch = flow.poll("getVectorStoreFileBatch", params)
        exchange = flow.last or flow.call("getVectorStoreFileBatch", params)
        counts = batch.get("file_counts") or {}
        if batch.get("status") == "completed" and (counts.get("total"), counts.get("completed")) != (2, 2):
            flow.fail(exchange, "a completed batch counts its files", {"total": 2, "completed": 2}, counts)
        listed = flow.json(flow.call("listFilesInVectorStoreBatch", params, query={"limit": 100}))
        ids = sorted(item.get("id") for item in listed.get("data") or [])
        if ids != sorted(files):
            flow.fail(exchange, "the batch lists exactly its files", sorted(files), ids)
        flow.cancel("cancelVectorStoreFileBatch", params, "vector_store.file_batch", batch["id"])


def _batch_input(count: int) -> bytes:
    lines = [
        {
            "custom_id": f"request-{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": MODEL,
                "messages": [{"role": "user", "content": f"Say {i}."}],
                "max_tokens": 16,
            },
        }
        for i in range(count)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _create_batch(flow: Flow, count: int) -> dict[str, Any]:
    file_id = upload(flow, "batch.jsonl", _batch_input(count), "batch", "application/jsonl")
    body = {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    return flow.json(flow.call("createBatch", body=body, created=True))


@register("batch-flow", "createBatch")
def batch_flow(session: Any, phase: Any) -> None:
    """A batch from a JSONL file -> poll -> completed -> download the output: each line answers one
    request (custom_id, status 200, a chat.completion) -> a late cancel gets the documented error."""
    with Flow(session, phase, cost=40) as flow:
        batch = _create_batch(flow, 2)
        params = {"batch_id": batch["id"]}
        batch = flow.poll("retrieveBatch", params, window=BATCH_WINDOW)
        exchange = flow.last or flow.call("retrieveBatch", params)
        if batch.get("status") != "completed":
            flow.fail(exchange, "a batch of valid requests completes", "completed", batch.get("status"))
            return
        counts = batch.get("request_counts") or {}
        if counts.get("total") != 2 or counts.get("completed") != 2:
            flow.fail(exchange, "request_counts count the two requests", {"total": 2, "completed": 2}, counts)
        output = batch.get("output_file_id")
        if not isinstance(output, str):
            flow.fail(exchange, "a completed batch names its output file", "output_file_id", output)
            return
        download = flow.call("downloadFile", {"file_id": output})
        seen = set()
        for number, line in enumerate(download.response.content.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                flow.fail(download, f"output line {number} is JSON", "JSON", line[:80])
                continue
            answer = record.get("response") or {}
            seen.add(record.get("custom_id"))
            body = answer.get("body") or {}
            if answer.get("status_code") != 200 or body.get("object") != "chat.completion":
                flow.fail(
                    download,
                    f"output line {number} answers its chat request",
                    "200 chat.completion",
                    answer.get("status_code"),
                )
        if seen != {"request-0", "request-1"}:
            flow.fail(
                download,
                "the output answers each request once",
                ["request-0", "request-1"],
                sorted(map(str, seen)),
            )
        flow.cancel("cancelBatch", params, "batch", batch["id"])


@register("batch-cancel", "cancelBatch")
def batch_cancel(session: Any, phase: Any) -> None:
    """Cancel a new batch: cancelling -> cancelled (or, when it already finished, the documented error)."""
    with Flow(session, phase, cost=30) as flow:
        batch = _create_batch(flow, 1)
        params = {"batch_id": batch["id"]}
        answer = flow.cancel("cancelBatch", params, "batch", batch["id"], retrieve="retrieveBatch")
        batch = flow.poll("retrieveBatch", params, window=BATCH_WINDOW)
        if 200 <= answer.response.status < 300:
            flow.expect_status(
                batch, "cancelled", "retrieveBatch", params, "a cancelled batch ends cancelled"
            )


def _training_file(flow: Flow) -> str:
    examples = [
        {
            "messages": [
                {"role": "user", "content": f"Ping {i}"},
                {"role": "assistant", "content": f"Pong {i}"},
            ]
        }
        for i in range(10)
    ]
    content = "".join(json.dumps(e) + "\n" for e in examples).encode()
    return upload(flow, "train.jsonl", content, "fine-tune", "application/jsonl")


@register("fine-tuning", "createFineTuningJob")
def fine_tuning(session: Any, phase: Any) -> None:
    """A job -> poll -> succeeded (fine_tuned_model, finished_at set) -> events -> a late cancel errs."""
    with Flow(session, phase, cost=40) as flow:
        training = _training_file(flow)
        body = {"model": FINE_TUNE_MODEL, "training_file": training}
        job = flow.json(flow.call("createFineTuningJob", body=body, created=True))
        params = {"fine_tuning_job_id": job["id"]}
        job = flow.poll("retrieveFineTuningJob", params, window=TRAINING_WINDOW)
        exchange = flow.last or flow.call("retrieveFineTuningJob", params)
        if job.get("status") != "succeeded":
            flow.fail(exchange, "a job on valid data succeeds", "succeeded", job.get("status"))
        events = flow.json(flow.call("listFineTuningEvents", params, query={"limit": 100}))
        if not events.get("data"):
            flow.fail(exchange, "a finished job has events", "events", [])
        flow.cancel("cancelFineTuningJob", params, "fine_tuning.job", job["id"])


@register("fine-tuning-cancel", "cancelFineTuningJob")
def fine_tuning_cancel(session: Any, phase: Any) -> None:
    """Cancel a new job: cancelled at once, and it stays cancelled."""
    with Flow(session, phase, cost=30) as flow:
        training = _training_file(flow)
        body = {"model": FINE_TUNE_MODEL, "training_file": training}
        job = flow.json(flow.call("createFineTuningJob", body=body, created=True))
        params = {"fine_tuning_job_id": job["id"]}
        answer = flow.cancel(
            "cancelFineTuningJob", params, "fine_tuning.job", job["id"], retrieve="retrieveFineTuningJob"
        )
        job = flow.poll("retrieveFineTuningJob", params, window=TRAINING_WINDOW)
        if 200 <= answer.response.status < 300:
            flow.expect_status(
                job, "cancelled", "retrieveFineTuningJob", params, "a cancelled job stays cancelled"
            )


def _new_upload(flow: Flow, data: bytes) -> dict[str, Any]:
    body = {"filename": "upload.txt", "purpose": "assistants", "bytes": len(data), "mime_type": "text/plain"}
    return flow.json(flow.call("createUpload", body=body, created=True))


def _part(flow: Flow, upload_id: str, chunk: bytes, expect: Any = (200,)) -> Any:
    return flow.call(
        "addUploadPart",
        {"upload_id": upload_id},
        body={},
        files={"data": ("blob", chunk, "application/octet-stream")},
        expect=expect,
    )


@register("upload-flow", "completeUpload")
def upload_flow(session: Any, phase: Any) -> None:
    """Upload in two parts -> complete (md5) -> a File of the declared size; no parts after complete;
    a late cancel gets the documented error."""
    with Flow(session, phase, cost=30) as flow:
        data = DOCUMENT * 4
        created = _new_upload(flow, data)
        upload_id = created["id"]
        half = len(data) // 2
        parts = [flow.json(_part(flow, upload_id, chunk))["id"] for chunk in (data[:half], data[half:])]
        body = {"part_ids": parts, "md5": hashlib.md5(data).hexdigest()}  # noqa: S324 - the API's checksum
        exchange = flow.call("completeUpload", {"upload_id": upload_id}, body=body)
        flow.needs_state()  # the file must hold the parts sent, and take none after
        done = flow.json(exchange)
        file = done.get("file")
        if isinstance(file, dict) and isinstance(file.get("id"), str):
            flow.adopt(file["id"], FILE_TEMPLATE, {}, "completeUpload")
            if file.get("bytes") != len(data):
                flow.fail(
                    exchange,
                    "the completed upload's file has the declared size",
                    len(data),
                    file.get("bytes"),
                )
        late = _part(flow, upload_id, b"late", expect=None)
        if late.response.status < 400:
            flow.fail(late, "a completed upload takes no more parts", "a 4xx error", late.response.status)
        flow.cancel("cancelUpload", {"upload_id": upload_id}, "upload", upload_id)


@register("upload-cancel", "cancelUpload")
def upload_cancel(session: Any, phase: Any) -> None:
    """Cancel a pending upload: cancelled, and it takes no more parts."""
    with Flow(session, phase, cost=20) as flow:
        created = _new_upload(flow, DOCUMENT)
        upload_id = created["id"]
        flow.needs_state()  # a cancel must change what the upload takes
        flow.cancel("cancelUpload", {"upload_id": upload_id}, "upload", upload_id)
        late = _part(flow, upload_id, DOCUMENT, expect=None)
        if late.response.status < 400:
            flow.fail(late, "a cancelled upload takes no parts", "a 4xx error", late.response.status)


def _background(flow: Flow) -> dict[str, Any]:
    flow.require_fields("createResponse", "background")
    body = {"model": MODEL, "input": "Say hello.", "background": True, "store": True}
    return flow.json(flow.call("createResponse", body=body, created=True))


@register("background-response", "getResponse")
def background_response(session: Any, phase: Any) -> None:
    """A background response is queued/in progress, then completes with output; a late cancel errs
    (or leaves it unchanged)."""
    with Flow(session, phase, cost=30) as flow:
        response = _background(flow)
        params = {"response_id": response["id"]}
        response = flow.poll("getResponse", params)
        exchange = flow.last or flow.call("getResponse", params)
        if response.get("status") != "completed":
            flow.fail(exchange, "a background response completes", "completed", response.get("status"))
        elif not response.get("output"):
            flow.fail(exchange, "a completed response has output", "output items", response.get("output"))
        flow.cancel("cancelResponse", params, "response", response["id"])


@register("background-response-cancel", "cancelResponse")
def background_response_cancel(session: Any, phase: Any) -> None:
    """Cancel a background response: cancelled (or, when it already finished, the documented answer)."""
    with Flow(session, phase, cost=20) as flow:
        response = _background(flow)
        params = {"response_id": response["id"]}
        answer = flow.cancel("cancelResponse", params, "response", response["id"], retrieve="getResponse")
        if 200 <= answer.response.status < 300:
            response = flow.poll("getResponse", params)
            if response.get("status") not in ("cancelled", "completed"):
                flow.fail(
                    flow.call("getResponse", params),
                    "a cancelled response ends cancelled",
                    "cancelled",
                    response.get("status"),
                )
