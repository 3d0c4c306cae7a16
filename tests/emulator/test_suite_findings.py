"""What `openai-conformance run` against the emulator found: each test replays the kind of request that
broke (a 500, a 200 under an unknown parent, a wrong delete answer, a form body read wrongly)."""

from __future__ import annotations

import json

import openai
import pytest
from starlette.testclient import TestClient

from tests.emulator.support import assert_error

BETA = {"OpenAI-Beta": "assistants=v2"}


def _assistant(http: TestClient) -> str:
    answer = http.post("/assistants", json={"model": "gpt-4o"}, headers=BETA)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


# -- attachments without a file id: 400 naming it, not a 500 --------------------------------------------


def test_create_run_with_an_attachment_without_file_id_is_a_400(http: TestClient) -> None:
    assistant = _assistant(http)
    thread = http.post("/threads", json={}, headers=BETA).json()["id"]
    body = {
        "assistant_id": assistant,
        "additional_messages": [
            {"role": "user", "content": "hi", "attachments": [{"tools": [{"type": "file_search"}]}]}
        ],
    }
    answer = http.post(f"/threads/{thread}/runs", json=body, headers=BETA)
    assert_error(
        answer, 400, param="additional_messages[0].attachments[0].file_id", code="missing_required_parameter"
    )


def test_create_thread_and_run_with_an_attachment_without_file_id_is_a_400(http: TestClient) -> None:
    message = {"role": "user", "content": "hi", "attachments": [{"tools": [{"type": "code_interpreter"}]}]}
    body = {"assistant_id": _assistant(http), "thread": {"messages": [message]}}
    answer = http.post("/threads/runs", json=body, headers=BETA)
    error = assert_error(answer, 400, code="missing_required_parameter")
    assert error["param"].endswith("messages[0].attachments[0].file_id")


def test_an_attachment_naming_an_unknown_file_is_a_404(http: TestClient) -> None:
    message = {"role": "user", "content": "hi", "attachments": [{"file_id": "file-nope", "tools": []}]}
    answer = http.post("/threads", json={"messages": [message]}, headers=BETA)
    assert_error(answer, 404, param="messages[0].attachments[0].file_id")


# -- vector store search: an integral float is an integer ------------------------------------------------


def test_search_accepts_an_integral_float_max_num_results(client: openai.OpenAI) -> None:
    upload = client.files.create(file=("notes.txt", b"otters hold hands"), purpose="assistants")
    store = client.vector_stores.create(file_ids=[upload.id])
    page = client.vector_stores.search(store.id, query="otters", extra_body={"max_num_results": 14.0})
    assert [hit.file_id for hit in page.data] == [upload.id]


# -- nested resources under an unknown parent: 404 naming the parent ------------------------------------

UNKNOWN_PARENT = [
    ("POST", "/organization/projects/not-an-id/certificates/activate", {"certificate_ids": ["cert_a"]}),
    ("POST", "/organization/projects/not-an-id/certificates/deactivate", {"certificate_ids": ["cert_a"]}),
    ("GET", "/organization/projects/not-an-id/data_retention", None),
    ("GET", "/projects/not-an-id/roles", None),
    ("POST", "/projects/not-an-id/roles", {"role_name": "r", "permissions": ["api.read"]}),
    ("GET", "/projects/not-an-id/roles/role_abc", None),
    ("DELETE", "/projects/not-an-id/roles/role_abc", None),
    ("GET", "/projects/not-an-id/groups/group_abc/roles", None),
    ("POST", "/projects/not-an-id/groups/group_abc/roles", {"role_id": "role_abc"}),
    ("GET", "/projects/not-an-id/users/user_abc/roles", None),
    ("POST", "/projects/not-an-id/users/user_abc/roles", {"role_id": "role_abc"}),
]


@pytest.mark.parametrize(("method", "path", "body"), UNKNOWN_PARENT)
def test_a_nested_resource_under_an_unknown_project_is_a_404(http: TestClient, method, path, body) -> None:
    error = assert_error(http.request(method, path, json=body), 404, param="project_id")
    assert "not-an-id" in error["message"]


def _project(http: TestClient) -> str:
    answer = http.post("/organization/projects", json={"name": "p"})
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def test_nested_resources_under_a_known_project(http: TestClient) -> None:
    project = _project(http)
    assert http.get(f"/projects/{project}/roles").status_code == 200
    activate = http.post(
        f"/organization/projects/{project}/certificates/activate", json={"certificate_ids": ["cert_a"]}
    )
    assert activate.status_code == 200, activate.text
    # a group that is not in the project is not found under it
    assert_error(http.get(f"/projects/{project}/groups/group_nope/roles"), 404, param="group_id")


def test_a_group_resource_under_an_unknown_group_is_a_404(http: TestClient) -> None:
    assert_error(http.get("/organization/groups/group_nope/users"), 404, param="group_id")
    assert_error(http.post("/organization/groups/group_nope/roles", json={"role_id": "r"}), 404)


def test_project_group_role_assignment_lifecycle(http: TestClient) -> None:
    project = _project(http)
    group = http.post("/organization/groups", json={"name": "support"}).json()["id"]
    added = http.post(f"/organization/projects/{project}/groups", json={"group_id": group, "role": "member"})
    assert added.status_code == 200, added.text
    assigned = http.post(f"/projects/{project}/groups/{group}/roles", json={"role_id": "role_abc"})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["group"]["id"] == group
    assert assigned.json()["role"]["id"] == "role_abc"
    read = http.get(f"/projects/{project}/groups/{group}/roles/role_abc")
    assert read.status_code == 200 and read.json()["id"] == "role_abc", read.text
    gone = http.delete(f"/projects/{project}/groups/{group}/roles/role_abc")
    assert gone.json() == {"object": "group.role.deleted", "deleted": True}
    assert_error(http.get(f"/projects/{project}/groups/{group}/roles/role_abc"), 404, param="role_id")


def test_project_user_role_unassign_answers_user_role_deleted(http: TestClient) -> None:
    project = _project(http)
    user = http.post(f"/organization/projects/{project}/users", json={"user_id": "user_abc", "role": "owner"})
    assert user.status_code == 200, user.text
    assigned = http.post(f"/projects/{project}/users/user_abc/roles", json={"role_id": "role_abc"})
    assert assigned.status_code == 200, assigned.text
    assert http.get(f"/projects/{project}/users/user_abc/roles/role_abc").json()["id"] == "role_abc"
    gone = http.delete(f"/projects/{project}/users/user_abc/roles/role_abc")
    assert gone.json() == {"object": "user.role.deleted", "deleted": True}


# -- delete answers ---------------------------------------------------------------------------------------

EVAL = {
    "name": "e",
    "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
    "testing_criteria": [],
}


def test_eval_and_eval_run_deletes_answer_kind_deleted(http: TestClient) -> None:
    created = http.post("/evals", json=EVAL)
    assert created.status_code < 300, created.text
    eval_id = created.json()["id"]
    run = http.post(
        f"/evals/{eval_id}/runs",
        json={"data_source": {"type": "jsonl", "source": {"type": "file_content", "content": []}}},
    )
    assert run.status_code < 300, run.text
    run_id = run.json()["id"]
    gone_run = http.delete(f"/evals/{eval_id}/runs/{run_id}").json()
    assert gone_run == {"object": "eval.run.deleted", "deleted": True, "run_id": run_id}
    gone = http.delete(f"/evals/{eval_id}").json()
    assert gone == {"object": "eval.deleted", "deleted": True, "eval_id": eval_id}


def test_deleting_a_conversation_item_answers_the_conversation(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(items=[{"type": "message", "role": "user", "content": "hi"}])
    item = client.conversations.items.list(conversation.id).data[0]
    answer = client.conversations.items.delete(item.id, conversation_id=conversation.id)
    assert answer.id == conversation.id and answer.object == "conversation"
    assert client.conversations.items.list(conversation.id).data == []


# -- form bodies: arrays, objects as JSON text, empty nullable fields ------------------------------------


def test_form_arrays_of_objects_arrive_as_objects(http: TestClient) -> None:
    tool = {"type": "function", "name": "lookup", "strict": False, "parameters": {"type": "object"}}
    fields = [
        ("model", "gpt-4.1-mini"),
        ("input[]", json.dumps({"type": "message", "role": "user", "content": "hi"})),
        ("tools[]", json.dumps(tool)),
    ]
    answer = http.post(
        "/responses/input_tokens",
        content="&".join(f"{k}={v}" for k, v in _encoded(fields)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["object"] == "response.input_tokens"


def test_form_input_items_for_compaction(http: TestClient) -> None:
    fields = [
        ("model", "gpt-4.1-mini"),
        ("input[]", json.dumps({"type": "message", "role": "user", "content": "hi"})),
        ("input[]", json.dumps({"type": "message", "role": "user", "content": "again"})),
        ("prompt_cache_retention", ""),  # a form's way of leaving a nullable field empty
    ]
    answer = http.post(
        "/responses/compact",
        content="&".join(f"{k}={v}" for k, v in _encoded(fields)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["object"] == "response.compaction"


def _encoded(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from urllib.parse import quote

    return [(quote(k, safe=""), quote(v, safe="")) for k, v in fields]


def test_multipart_array_as_json_text_and_empty_nullable_fields(http: TestClient) -> None:
    audio = ("audio.wav", b"\0" * 64, "audio/wav")
    transcript = http.post(
        "/audio/transcriptions",
        data={"model": "gpt-4o-transcribe", "include": '["logprobs"]', "response_format": "json"},
        files={"file": audio},
    )
    assert transcript.status_code == 200, transcript.text
    variation = http.post(
        "/images/variations", data={"n": "", "size": ""}, files={"image": ("i.png", _png(), "image/png")}
    )
    assert variation.status_code == 200, variation.text
    assert len(variation.json()["data"]) == 1  # n left empty: the default


def _png() -> bytes:
    from conformance.emulator import media

    return media.png()


def test_multipart_scalar_where_only_an_array_fits_is_a_400(http: TestClient) -> None:
    audio = ("audio.wav", b"\0" * 64, "audio/wav")
    fields = {"model": "gpt-4o-transcribe-diarize", "known_speaker_references": "not-a-list"}
    answer = http.post("/audio/transcriptions", data=fields, files={"file": audio})
    assert_error(answer, 400, param="known_speaker_references", code="invalid_type")
    fields = {"model": "gpt-4o-transcribe-diarize", "known_speaker_references[]": "data:audio/wav;base64,AA"}
    assert http.post("/audio/transcriptions", data=fields, files={"file": audio}).status_code == 200


def test_an_empty_image_prompt_is_refused_as_empty(http: TestClient) -> None:
    # the documented-limits overlay gives the prompt a minLength the spec lacks
    answer = http.post("/images/generations", json={"prompt": ""})
    assert_error(answer, 400, param="prompt", code="string_below_min_length")


def test_verbose_and_diarized_transcripts_pass_the_self_check(make_app) -> None:
    # the spec's oneOf also matches these answers with its plain branch; make_app asserts the self-check
    http = TestClient(make_app(), base_url="http://testserver/v1", headers={"Authorization": "Bearer sk-x"})
    audio = ("audio.wav", b"\0" * 64, "audio/wav")
    for model, fmt in (("whisper-1", "verbose_json"), ("gpt-4o-transcribe-diarize", "diarized_json")):
        answer = http.post(
            "/audio/transcriptions", data={"model": model, "response_format": fmt}, files={"file": audio}
        )
        assert answer.status_code == 200, answer.text
        assert "segments" in answer.json()
