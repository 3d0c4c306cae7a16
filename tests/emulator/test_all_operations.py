"""Acceptance: every operation of the default spec answers a valid request with a declared 2xx whose
body validates against the spec.

Each request is built from the spec: the body is synthesised from the operation's request schema
(plus a few values with meaning: a model name, a file id that exists), and every path id names an
object that exists, created just before through the emulator's own API. Operations that consume
their object (delete, cancel, ...) get a fresh one, so the operations are independent of each other.
The outcome of every operation is listed in the test output (`-s` or `-rA`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance.emulator import create_app
from conformance.emulator.endpoints.generic import shape_of
from conformance.emulator.selfcheck import check_response
from conformance.emulator.synth import synthesizer
from conformance.spec import Operation, Spec
from tests.emulator.support import KEY, Clock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

_PARAM = re.compile(r"\{([^}]+)\}")

TRAINING = "\n".join(
    json.dumps(
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
    )
    for i in range(10)
).encode()
BATCH = (
    json.dumps(
        {
            "custom_id": "one",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        }
    )
    + "\n"
).encode()
FUNCTION = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}

# Request values that carry meaning the schema cannot express (ids of objects, a model that exists).
HINTS: dict[str, dict[str, Any]] = {
    # a group of its own for each membership: deleting one must not remove another's group
    "add-project-group": {"group_id": "{new_group}"},
    "createChatCompletion": {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "store": True,
    },
    "createResponse": {"model": "gpt-4o-mini", "input": "hi", "background": True, "store": True},
    "createEmbedding": {"model": "text-embedding-3-small", "input": "hi", "encoding_format": "float"},
    "createModeration": {"input": "hi"},
    "createCompletion": {"model": "gpt-3.5-turbo-instruct", "prompt": "hi"},
    "createAssistant": {"model": "gpt-4o", "tools": [FUNCTION]},
    "createThread": {},
    "createThreadAndRun": {"assistant_id": "{assistant_id}"},
    "createRun": {"assistant_id": "{assistant_id}", "tool_choice": "required"},
    "createMessage": {"role": "user", "content": "hi"},
    "createBatch": {
        "input_file_id": "{batch_file}",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    },
    "createFineTuningJob": {"model": "gpt-4o-mini", "training_file": "{training_file}"},
    "createVectorStore": {"name": "docs"},
    "createVectorStoreFile": {"file_id": "{new_file}"},
    "createVectorStoreFileBatch": {"file_ids": ["{file_id}"]},
    "createUpload": {"bytes": 3, "filename": "a.txt", "mime_type": "text/plain", "purpose": "assistants"},
    "createSpeech": {"model": "tts-1", "input": "hi", "voice": "alloy"},
}


class Walker:
    """Sends one valid request per operation, creating the objects its path names first."""

    def __init__(self, spec: Spec, client: TestClient) -> None:
        self.spec = spec
        self.client = client
        self.synth = synthesizer(spec)
        self.validators = spec.validators
        self.ids: dict[tuple[str, str], str] = {}  # (collection, param) -> existing id
        self.values: dict[str, str] = {}
        self.last_body: Any = None
        self.clock: Clock | None = None
        self.counter = 0

    # -- requests ----------------------------------------------------------------------------------------

    def send(self, op: Operation, params: dict[str, str], hints: dict[str, Any] | None = None) -> Any:
        path = op.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        query = {**op.extra_query}
        for param in op.parameters:
            if param.location == "query" and param.required:
                query[param.name] = self.synth.value(
                    param.schema, self.values.get(param.name), seed=param.name
                )
        body_hints = self._resolve(HINTS.get(op.id, {}) if hints is None else hints)
        kwargs: dict[str, Any] = {"params": query}
        self.last_body = body_hints
        if "application/sdp" in op.request_bodies:  # an SDP offer, as a multipart field
            kwargs["files"] = {"sdp": (None, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")}
        elif "application/json" in op.request_bodies:
            kwargs["json"] = self.synth.value(op.request_bodies["application/json"], body_hints, seed=op.id)
            self.last_body = kwargs["json"]
        elif "multipart/form-data" in op.request_bodies:
            kwargs.update(self._multipart(op, body_hints))
        elif op.request_bodies:
            media, schema = next(iter(op.request_bodies.items()))
            kwargs["content"] = (
                b"v=0\r\n" if "sdp" in media else json.dumps(self.synth.value(schema)).encode()
            )
            kwargs["headers"] = {"content-type": media}
        return self.client.request(op.method, path, **kwargs)

    def _multipart(self, op: Operation, hints: dict[str, Any]) -> dict[str, Any]:
        schema = op.request_bodies["multipart/form-data"]
        props = self.synth.merge(schema).get("properties") or {}
        fields = self.synth.value(schema, hints, seed=op.id)
        files, data = {}, {}
        for name, value in fields.items():
            prop = self.synth.merge(props.get(name)) or {}
            if _is_binary(self.synth, prop):
                files[name] = _upload(op, name)
            elif isinstance(value, (dict, list)):
                data[name] = json.dumps(value)
            else:
                data[name] = str(value).lower() if isinstance(value, bool) else str(value)
        for name, prop in props.items():  # optional uploads the endpoint needs in practice
            if (
                name not in fields
                and _is_binary(self.synth, self.synth.merge(prop))
                and name in ("file", "image")
            ):
                files[name] = _upload(op, name)
        return {"data": data, "files": files}

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return self.special(value[1:-1])
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value

    # -- objects that exist ------------------------------------------------------------------------------

    def special(self, name: str) -> str:
        if name == "new_file":
            return self._file(b"hello world", "assistants", "notes.txt")
        if name == "new_group":
            answer = self.client.post("/organization/groups", json={"name": "walk"})
            assert answer.status_code == 200, answer.text
            return answer.json()["id"]
        if name not in self.values:
            if name == "batch_file":
                self.values[name] = self._file(BATCH, "batch", "batch.jsonl")
            elif name == "training_file":
                self.values[name] = self._file(TRAINING, "fine-tune", "train.jsonl")
            elif name in ("file_id", "assistant_id"):
                op = self.spec.operation("createFile" if name == "file_id" else "createAssistant")
                if name == "file_id":
                    self.values[name] = self._file(b"hello world", "assistants", "notes.txt")
                else:
                    self.values[name] = self._created(op, {})
        return self.values[name]

    def _file(self, data: bytes, purpose: str, name: str) -> str:
        answer = self.client.post("/files", files={"file": (name, data)}, data={"purpose": purpose})
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    def _created(self, op: Operation, params: dict[str, str]) -> str:
        answer = self.send(op, params)
        assert answer.status_code < 300, f"setup {op.id}: {answer.status_code} {answer.text[:300]}"
        if "location" in answer.headers:
            return answer.headers["location"].rstrip("/").rsplit("/", 1)[-1]
        body = answer.json()
        if isinstance(body.get("data"), list) and body["data"]:
            body = body["data"][0]
        param = shape_of(self.spec, op.id).item_param or "id"
        sent = self.last_body if isinstance(self.last_body, dict) else {}
        if isinstance(sent.get(param), str):
            return sent[param]
        return str(body.get("id") or body.get(param) or body.get("version"))

    def params_for(self, op: Operation, fresh: bool) -> dict[str, str]:
        """Path parameters naming existing objects; the last one fresh when the operation consumes it."""
        names = _PARAM.findall(op.path)
        params: dict[str, str] = {}
        parts = op.path.strip("/").split("/")
        for index, part in enumerate(parts):
            match = _PARAM.fullmatch(part)
            if not match:
                continue
            collection = "/" + "/".join(parts[:index])
            name = match.group(1)
            last = name == names[-1]
            renew = (fresh and last) or (name == "thread_id" and "/runs" in op.path)
            params[name] = self.existing(collection, name, params, fresh=renew)
        return params

    def existing(self, collection: str, name: str, params: dict[str, str], fresh: bool = False) -> str:
        key = (_template(collection, params), name)
        if not fresh and key in self.ids:
            return self.ids[key]
        value = self._make(collection, name, params, fresh)
        if not fresh:
            self.ids[key] = value
        return value

    def _make(self, collection: str, name: str, params: dict[str, str], fresh: bool) -> str:
        if name == "model":
            return self._fine_tuned_model() if fresh else "gpt-4o"
        if name == "fine_tuned_model_checkpoint":
            return "ft:gpt-4o-mini:emulator::ckpt"
        if collection == "/files":
            return self._file(b"hello world", "assistants", "notes.txt")
        create = self._create_op(collection)
        if create is not None and create.id not in ("createRun",) or collection.endswith("/runs") and create:
            return self._created(create, params)
        lister = next((o for o in self.spec.operations if o.method == "GET" and o.path == collection), None)
        if lister is not None:  # a collection without a create: its seeded objects
            answer = self.send(lister, params)
            data = answer.json().get("data") if answer.status_code == 200 else None
            if not data and name == "step_id":  # steps appear once the run has moved on
                self._settled_run(params)
                data = self.send(lister, params).json().get("data")
            if data:
                item = data[-1] if fresh else data[0]  # consume the last one, share the first
                return str(item.get("id") or item.get(name))
        alias = self._alias(collection)
        if alias is not None:  # `/projects/{project_id}/...` names the `/organization/projects` project
            return self.existing(alias, name, params, fresh)
        return f"{name.removesuffix('_id')}_walk"

    def _alias(self, collection: str) -> str | None:
        """The longer spec collection that ends like this one and can make objects (as the emulator reads
        `/projects/{project_id}` as `/organization/projects/{project_id}`)."""
        paths = {o.path for o in self.spec.operations if o.method in ("GET", "POST")}
        longer = [p for p in paths if p != collection and p.endswith(collection) and self._create_op(p)]
        return min(longer, key=len, default=None)

    def _fine_tuned_model(self) -> str:
        job = self._created(self.spec.operation("createFineTuningJob"), {})
        assert self.clock is not None
        self.clock.advance(4 * 3600)
        return self.client.get(f"/fine_tuning/jobs/{job}").json()["fine_tuned_model"]

    def prepare(self, op: Operation, params: dict[str, str]) -> dict[str, Any] | None:
        """Bring the objects an operation acts on into the state it needs; returns body hints."""
        assert self.clock is not None
        if op.id == "resumeFineTuningJob":
            self.client.post(f"/fine_tuning/jobs/{params['fine_tuning_job_id']}/pause")
        if op.id == "completeUpload":
            part = self.client.post(f"/uploads/{params['upload_id']}/parts", files={"data": ("p", b"abc")})
            assert part.status_code == 200, part.text
            return {"part_ids": [part.json()["id"]]}
        if op.id == "submitToolOuputsToRun":
            run = self._settled_run(params)
            calls = ((run.get("required_action") or {}).get("submit_tool_outputs") or {}).get(
                "tool_calls"
            ) or []
            return {"tool_outputs": [{"tool_call_id": c["id"], "output": "42"} for c in calls]}
        if op.id == "retrieveVectorStoreFileContent":
            self.clock.advance(3600)
        return None

    def _settled_run(self, params: dict[str, str]) -> dict[str, Any]:
        assert self.clock is not None
        for _ in range(3):
            self.clock.advance(3600)
            run = self.client.get(f"/threads/{params['thread_id']}/runs/{params['run_id']}").json()
            if run["status"] not in ("queued", "in_progress"):
                break
        return self.client.get(f"/threads/{params['thread_id']}/runs/{params['run_id']}").json()

    def _create_op(self, collection: str) -> Operation | None:
        return next((o for o in self.spec.operations if o.method == "POST" and o.path == collection), None)


def _template(collection: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        collection = collection.replace("{" + name + "}", value)
    return collection


def _is_binary(synth: Any, prop: Any) -> bool:
    if not isinstance(prop, dict):
        return False
    if prop.get("format") == "binary" or prop.get("contentMediaType"):
        return True
    items = synth.merge(prop.get("items")) if "items" in prop else None
    if isinstance(items, dict) and items.get("format") == "binary":
        return True
    return any(_is_binary(synth, synth.merge(b)) for b in (prop.get("anyOf") or prop.get("oneOf") or []))


def _upload(op: Operation, name: str) -> tuple[str, bytes, str]:
    from conformance.emulator import media

    if "image" in op.path or name in ("image", "mask"):
        return ("image.png", media.png(), "image/png")
    if "audio" in op.path or "voice" in op.path:
        return ("audio.wav", media.wav(), "audio/wav")
    if "upload" in op.path:
        return ("part.bin", b"abc", "application/octet-stream")
    return ("file.txt", b"hello world", "text/plain")


CONSUMING = ("DELETE",)


def _consumes(spec: Spec, op: Operation) -> bool:
    shape = shape_of(spec, op.id)
    return op.method in CONSUMING or shape.role == "action"


@pytest.fixture(scope="module")
def walk(openai_spec: Spec) -> dict[str, tuple[int, list[str]]]:
    clock = Clock()
    # by the letter of the spec: the default answers carry the real API's known deviations (test_real_api)
    app = create_app(
        openai_spec, run_delay=3600, run_expiry=10**6, file_delay=3600, clock=clock, spec_literal=True
    )
    client = TestClient(app, base_url="http://testserver/v1", headers={"Authorization": f"Bearer {KEY}"})
    walker = Walker(openai_spec, client)
    walker.clock = clock
    outcomes: dict[str, tuple[int, list[str]]] = {}
    for op in openai_spec.operations:
        try:
            params = walker.params_for(op, fresh=_consumes(openai_spec, op))
            hints = walker.prepare(op, params)
            answer = walker.send(op, params, None if hints is None else {**HINTS.get(op.id, {}), **hints})
        except AssertionError as exc:
            outcomes[op.id] = (0, [f"setup failed: {exc}"[:400]])
            continue
        problems = []
        if not (200 <= answer.status_code < 300) or op.response_for(answer.status_code) is None:
            problems.append(f"status {answer.status_code}: {answer.text[:300]}")
        else:
            media = answer.headers.get("content-type", "").split(";")[0] or None
            problems += check_response(walker.validators, op, answer.status_code, media, answer.content)
        outcomes[op.id] = (answer.status_code, problems)
    return outcomes


def test_every_operation_answers_a_valid_2xx(
    walk: dict[str, tuple[int, list[str]]], openai_spec: Spec
) -> None:
    failing = {op: p for op, (_, p) in walk.items() if p}
    width = max(len(op.id) for op in openai_spec.operations)
    for op in openai_spec.operations:
        status, problems = walk[op.id]
        print(f"{op.method:6} {op.id:{width}} {status} {'ok' if not problems else problems[0][:160]}")
    ok = len(walk) - len(failing)
    print(f"{ok}/{len(walk)} operations answered a declared 2xx that validates")
    assert len(walk) == len(openai_spec.operations)
    assert not failing, "\n".join(f"{op}: {p[:3]}" for op, p in sorted(failing.items()))
