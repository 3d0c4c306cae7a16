"""The emulator's core: routing, auth, headers, rate limit, validation, pagination, ids,
persistence, the self-check, and the command line."""

from __future__ import annotations

import json
import socket
import threading
import time

import openai
import pytest
import uvicorn

from conformance.cli import main
from conformance.emulator import registry
from conformance.emulator.selfcheck import check_event, check_response
from tests.emulator.support import KEY, Clock, assert_error, sdk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- routing and auth ----------------------------------------------------------------------------


def test_unknown_path_and_wrong_method(http) -> None:
    assert_error(http.get("/no/such/thing"), 404, code="unknown_url")
    assert_error(http.get("http://testserver/assistants"), 404)  # outside /v1
    response = http.delete("/assistants")
    assert_error(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


def test_literal_route_wins_over_template(http) -> None:
    # POST /threads/runs is createThreadAndRun, not createMessage on a thread called "runs"
    error = assert_error(http.post("/threads/runs", json={}), 400, param="assistant_id")
    assert "assistant_id" in error["message"]


def test_auth(make_app) -> None:
    app = make_app(api_keys={"sk-good"})
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(app, key="sk-bad-key-123456").models.list()
    assert "sk-bad-key-123456" not in caught.value.message  # never echo a key in full
    assert caught.value.code == "invalid_api_key"
    assert sdk(app, key="sk-good").beta.assistants.list().data == []
    from starlette.testclient import TestClient

    raw = TestClient(app, base_url="http://testserver/v1")
    assert_error(raw.get("/assistants"), 401)
    assert_error(raw.get("/assistants", headers={"Authorization": "Basic abc"}), 401)
    assert_error(raw.get("/assistants", headers={"Authorization": "Bearer "}), 401)


def test_any_key_by_default(make_app) -> None:
    assert sdk(make_app(), key="anything").beta.assistants.list().data == []


def test_headers_on_every_answer(http) -> None:
    responses = [
        http.get("/assistants"),
        http.get("/assistants/asst_x"),
        http.get("/nope"),
        http.post("/assistants", json={}),
    ]
    ids = set()
    for response in responses:
        for name in (
            "x-request-id",
            "openai-processing-ms",
            "x-ratelimit-limit-requests",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
            "x-ratelimit-limit-tokens",
        ):
            assert name in response.headers, (name, response.status_code)
        assert response.headers["x-request-id"].startswith("req_")
        assert int(response.headers["openai-processing-ms"]) >= 0
        ids.add(response.headers["x-request-id"])
    assert len(ids) == len(responses)


def test_rate_limit(make_app) -> None:
    from starlette.testclient import TestClient

    app = make_app(rate_limit=3)
    http = TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})
    statuses = [http.get("/assistants") for _ in range(6)]
    codes = [r.status_code for r in statuses]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
    limited = next(r for r in statuses if r.status_code == 429)
    error = assert_error(limited, 429, code="rate_limit_exceeded")
    assert error["type"] == "requests"
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert statuses[0].headers["x-ratelimit-limit-requests"] == "3"


# -- validation ----------------------------------------------------------------------------------


def test_bad_bodies_get_400_with_envelope(http) -> None:
    bad_json = http.post("/assistants", content=b'{"model": ', headers={"content-type": "application/json"})
    assert_error(bad_json, 400, code="invalid_json")
    assert_error(
        http.post("/assistants", content=b"model=x", headers={"content-type": "text/plain"}),
        400,
        code="invalid_content_type",
    )
    assert_error(http.post("/assistants", json={}), 400, param="model", code="missing_required_parameter")
    assert_error(
        http.post("/assistants", json={"model": "gpt-4o", "temperature": "hot"}), 400, param="temperature"
    )
    assert_error(
        http.post("/assistants", json={"model": "gpt-4o", "temperature": 3}), 400, param="temperature"
    )
    assert_error(
        http.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "bogus"}]}),
        400,
        param="tools[0].type",
    )
    assert_error(http.post("/assistants", json=["not", "an", "object"]), 400)
    assert_error(
        http.post("/assistants", content=b"\xff\xfe", headers={"content-type": "application/json"}), 400
    )
    assert_error(
        http.post("/threads/thread_x/runs/run_y/submit_tool_outputs", json={"tool_outputs": "x"}),
        400,
        param="tool_outputs",
    )


def test_error_messages_name_the_field_like_the_real_api(http) -> None:
    error = assert_error(http.post("/assistants", json={"model": 5}), 400, param="model", code="invalid_type")
    assert error["message"] == "Invalid type for 'model': expected a string, but got an integer instead."
    body = {"messages": [{"role": "user", "content": [{"type": "nope"}]}]}
    error = assert_error(http.post("/threads", json=body), 400, param="messages[0].content[0].type")
    assert "'nope'" in error["message"] and "'text'" in error["message"]
    body = {"model": "gpt-4o", "tools": [{"type": "function", "function": {"name": 5}}]}
    assert_error(
        http.post("/assistants", json=body), 400, param="tools[0].function.name", code="invalid_type"
    )
    error = assert_error(http.post("/assistants", json={"model": "gpt-4o", "bogus": 1}), 400, param="bogus")
    assert error["code"] == "unknown_parameter"


def test_query_parameters_are_validated_and_coerced(http) -> None:
    assert_error(http.get("/assistants", params={"limit": "ten"}), 400, param="limit")
    assert_error(http.get("/assistants", params={"order": "sideways"}), 400, param="order")
    assert http.get("/assistants", params={"limit": "100", "order": "asc"}).status_code == 200


def test_empty_body_where_optional(http) -> None:
    response = http.post("/threads", content=b"", headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["object"] == "thread"
    assert http.post("/threads").status_code == 200


# -- pagination and ids --------------------------------------------------------------------------


def test_pagination_cursors_and_ties(make_app) -> None:
    clock = Clock()  # a frozen clock: every object has the same created_at, order must still be stable
    client = sdk(make_app(clock=clock))
    ids = [client.beta.assistants.create(model="gpt-4o").id for _ in range(5)]
    page = client.beta.assistants.list(limit=2)
    assert [a.id for a in page.data] == [ids[4], ids[3]] and page.has_more
    raw = client.beta.assistants.with_raw_response.list(limit=2).http_response.json()
    assert (raw["first_id"], raw["last_id"]) == (ids[4], ids[3])
    after = client.beta.assistants.list(limit=2, after=ids[3])
    assert [a.id for a in after.data] == [ids[2], ids[1]] and after.has_more
    last = client.beta.assistants.list(limit=2, after=ids[1])
    assert [a.id for a in last.data] == [ids[0]] and not last.has_more
    before = client.beta.assistants.list(limit=2, before=ids[1])
    assert [a.id for a in before.data] == [ids[3], ids[2]] and before.has_more
    asc = client.beta.assistants.list(limit=3, order="asc", after=ids[0])
    assert [a.id for a in asc.data] == ids[1:4]


def test_empty_list_as_the_real_api(http) -> None:
    assert http.get("/assistants").json() == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


def test_id_prefixes_and_timestamps(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "x"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=1
    )
    step = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data[0]
    message = client.beta.threads.messages.list(thread.id).data[0]
    file = client.files.create(file=("a.txt", b"a"), purpose="assistants")
    store = client.vector_stores.create(name="s")
    batch = client.vector_stores.file_batches.create(store.id, file_ids=[file.id])
    upload = client.uploads.create(bytes=1, filename="u", mime_type="text/plain", purpose="assistants")
    for obj, prefix in [
        (assistant, "asst_"),
        (thread, "thread_"),
        (run, "run_"),
        (step, "step_"),
        (message, "msg_"),
        (file, "file-"),
        (store, "vs_"),
        (batch, "vsfb_"),
        (upload, "upload_"),
    ]:
        assert obj.id.startswith(prefix) and len(obj.id) > len(prefix) + 20
        assert abs(obj.created_at - time.time()) < 60  # unix seconds, not milliseconds


# -- persistence ---------------------------------------------------------------------------------


def test_state_file_survives_restart(make_app, tmp_path) -> None:
    path = str(tmp_path / "state.db")
    first = make_app(state_file=path)
    client = sdk(first)
    assistant = client.beta.assistants.create(model="gpt-4o", name="kept")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "remember me"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=1
    )
    file = client.files.create(file=("k.txt", b"kept bytes"), purpose="assistants")
    store = client.vector_stores.create(name="kept", file_ids=[file.id])
    client.beta.assistants.delete(client.beta.assistants.create(model="gpt-4o").id)
    first.state.store.close()

    again = sdk(make_app(state_file=path))
    assert again.beta.assistants.retrieve(assistant.id).name == "kept"
    assert [a.id for a in again.beta.assistants.list()] == [assistant.id]  # the deleted one stays deleted
    texts = [m.content[0].text.value for m in again.beta.threads.messages.list(thread.id, order="asc")]
    assert texts == ["remember me", "Echo: remember me"]
    assert again.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "completed"
    assert again.files.content(file.id).content == b"kept bytes"
    assert again.vector_stores.retrieve(store.id).file_counts.completed == 1
    newer = again.beta.assistants.create(model="gpt-4o")
    assert [a.id for a in again.beta.assistants.list()] == [newer.id, assistant.id]


def test_bad_state_file_is_one_line_error(tmp_path, capsys) -> None:
    folder = tmp_path / "a-directory"
    folder.mkdir()
    assert main(["emulator", "--state-file", str(folder), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "state file" in err


def test_store_is_thread_safe(tmp_path) -> None:
    from conformance.emulator.store import Store

    store = Store(tmp_path / "threads.db")
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(100):
                store.put("thing", {"id": f"t{worker}-{i}", "n": i}, parent=f"p{worker % 2}")
                store.update("thing", f"t{worker}-{i}", {"n": i + 1})
                assert store.list("thing", parent=f"p{worker % 2}")
                if i % 10 == 0:
                    store.delete("thing", f"t{worker}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert store.count("thing", "p0") + store.count("thing", "p1") == 8 * 90
    store.close()
    reopened = Store(tmp_path / "threads.db")
    assert len(reopened.list("thing", any_parent=True)) == 8 * 90
    assert all(t["n"] == int(t["id"].split("-")[1]) + 1 for t in reopened.list("thing", "p1"))
    reopened.close()


# -- the self-check ------------------------------------------------------------------------------


def test_self_check_judges_responses(openai_spec) -> None:
    validators = openai_spec.validators
    op = openai_spec.operation("listAssistants")
    empty = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    assert check_response(validators, op, 200, "application/json", json.dumps(empty).encode()) == []
    nonempty_null = dict(empty, data=[{"id": "asst_1"}])
    assert check_response(validators, op, 200, "application/json", json.dumps(nonempty_null).encode())
    get = openai_spec.operation("getAssistant")
    assert check_response(validators, get, 200, "application/json", b'{"id": 1}')
    error = {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}}
    assert check_response(validators, get, 404, "application/json", json.dumps(error).encode()) == []
    assert check_response(validators, get, 404, "application/json", b'{"error": "nope"}')
    assert check_event(validators, "thread.run.created", '{"id": 1}')
    assert check_event(validators, "done", "[DONE]") == []


# -- registry and command line -------------------------------------------------------------------


def test_registry_covers_the_core_operations(openai_spec) -> None:
    import conformance.emulator.endpoints  # noqa: F401

    handled = registry.registered()
    prefixes = ("/assistants", "/threads", "/files", "/uploads", "/vector_stores")
    core = [op.id for op in openai_spec.operations if op.path.startswith(prefixes)]
    assert len(core) >= 45
    assert [op_id for op_id in core if op_id not in handled] == []


def test_cli_usage_errors(capsys) -> None:
    assert main(["emulator", "--rate-limit", "fast"]) == 2
    assert main(["emulator", "--port", "70000"]) == 2
    assert main(["emulator", "--run-delay", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err


def test_cli_port_in_use(capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["emulator", "--port", str(port)]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_over_real_http_with_uvicorn(make_app) -> None:
    app = make_app()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0)
        assistant = client.beta.assistants.create(model="gpt-4o")
        thread_obj = client.beta.threads.create(messages=[{"role": "user", "content": "over http"}])
        with client.beta.threads.runs.stream(thread_id=thread_obj.id, assistant_id=assistant.id) as stream:
            stream.until_done()
            assert stream.get_final_run().status == "completed"
        raw = client.beta.assistants.with_raw_response.retrieve(assistant.id)
        assert raw.headers["x-request-id"].startswith("req_")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
