"""Files and uploads through the official SDK, and the multipart edge cases."""

from __future__ import annotations

import hashlib

import openai
import pytest

from tests.emulator.support import Clock, assert_error, sdk


def test_upload_download_delete(client: openai.OpenAI) -> None:
    data = b'{"prompt": "a"}\n{"prompt": "b"}\n'
    file = client.files.create(file=("train.jsonl", data), purpose="fine-tune")
    assert file.id.startswith("file-") and file.object == "file"
    assert file.bytes == len(data) and file.filename == "train.jsonl" and file.purpose == "fine-tune"
    assert client.files.retrieve(file.id) == file
    assert client.files.content(file.id).content == data
    gone = client.files.delete(file.id)
    assert gone.deleted and gone.id == file.id
    with pytest.raises(openai.NotFoundError) as caught:
        client.files.retrieve(file.id)
    assert file.id in caught.value.message


def test_list_purpose_filter_and_limit_range(client: openai.OpenAI, http) -> None:
    a = client.files.create(file=("a.txt", b"a"), purpose="assistants")
    b = client.files.create(file=("b.jsonl", b"{}"), purpose="batch")
    assert b.expires_at and b.expires_at > b.created_at  # batch files expire by default
    assert [f.id for f in client.files.list(purpose="assistants")] == [a.id]
    assert {f.id for f in client.files.list()} == {a.id, b.id}
    assert http.get("/files", params={"limit": 10000}).status_code == 200
    assert_error(http.get("/files", params={"limit": 10001}), 400, param="limit")
    assert_error(http.get("/files", params={"limit": 0}), 400, param="limit")
    assert_error(http.get("/assistants", params={"limit": 101}), 400, param="limit")


def test_size_limit(make_app) -> None:
    client = sdk(make_app(max_file_bytes=10))
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("big.txt", b"x" * 11), purpose="assistants")
    assert caught.value.status_code == 413
    assert client.files.create(file=("ok.txt", b"x" * 10), purpose="assistants").bytes == 10


def test_multipart_problems_get_400(http) -> None:
    assert_error(http.post("/files", data={"purpose": "assistants"}, files={}), 400)
    assert_error(http.post("/files", files={"file": ("a.txt", b"x")}), 400, param="purpose")
    assert_error(http.post("/files", data={"purpose": "nonsense"}, files={"file": ("a.txt", b"x")}), 400)
    no_headers = b"--b\r\n\r\nvalue\r\n--b--\r\n"
    response = http.post(
        "/files", content=no_headers, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert_error(response, 400)
    truncated = b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassist'
    response = http.post(
        "/files", content=truncated, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert_error(response, 400)
    assert_error(http.post("/files", json={"purpose": "assistants"}), 400, code="invalid_content_type")


def test_uploads_complete(client: openai.OpenAI) -> None:
    data = b"0123456789" * 10
    upload = client.uploads.create(
        bytes=len(data), filename="data.txt", mime_type="text/plain", purpose="assistants"
    )
    assert upload.status == "pending" and upload.expires_at == upload.created_at + 3600
    parts = [client.uploads.parts.create(upload.id, data=chunk) for chunk in (data[:60], data[60:])]
    assert all(p.object == "upload.part" and p.upload_id == upload.id for p in parts)
    done = client.uploads.complete(
        upload.id, part_ids=[p.id for p in parts], md5=hashlib.md5(data).hexdigest()
    )
    assert done.status == "completed" and done.file is not None
    assert client.files.content(done.file.id).content == data
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(upload.id, data=b"late")


def test_uploads_rules(client: openai.OpenAI) -> None:
    upload = client.uploads.create(bytes=5, filename="x.txt", mime_type="text/plain", purpose="assistants")
    part = client.uploads.parts.create(upload.id, data=b"abc")
    with pytest.raises(openai.BadRequestError):  # 3 bytes where 5 were declared
        client.uploads.complete(upload.id, part_ids=[part.id])
    with pytest.raises(openai.NotFoundError):
        client.uploads.complete(upload.id, part_ids=["part_unknown"])
    assert client.uploads.cancel(upload.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.uploads.cancel(upload.id)


def test_upload_expires_after_an_hour(make_app) -> None:
    clock = Clock()
    client = sdk(make_app(clock=clock))
    upload = client.uploads.create(bytes=1, filename="x.txt", mime_type="text/plain", purpose="assistants")
    clock.advance(3601)
    with pytest.raises(openai.BadRequestError) as caught:
        client.uploads.parts.create(upload.id, data=b"x")
    assert "expired" in caught.value.message
