"""The request validator that strategies and their tests share."""

from __future__ import annotations

from conformance import strategies
from conformance.exchange import Request
from conformance.spec import Spec


def _request(spec: Spec, op_id: str, **kwargs) -> Request:
    op = spec.operation(op_id)
    return Request(method=op.method, path=op.path, operation_id=op.id, path_template=op.path, **kwargs)


def _broken(spec: Spec, op_id: str, **kwargs) -> set[tuple[str, str, str]]:
    request = _request(spec, op_id, **kwargs)
    return {(v.location, v.name, v.keyword) for v in strategies.validate(op_id, request, spec=spec)}


def test_a_valid_chat_request(spec: Spec) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "temperature": 0.5}
    assert _broken(spec, "createChatCompletion", body=body, media_type="application/json") == set()


def test_body_violations_are_named_by_field(spec: Spec) -> None:
    body = {"messages": [{"role": "user", "content": "Hi"}], "temperature": "hot"}
    broken = _broken(spec, "createChatCompletion", body=body, media_type="application/json")
    assert ("body", "model", "required") in broken
    assert any(name == "temperature" for _, name, _ in broken)


def test_query_strings_are_read_as_the_server_reads_them(spec: Spec) -> None:
    params = {"thread_id": "thread_abc"}
    ok = _broken(spec, "listMessages", path_params=params, query={"limit": "10", "order": "asc"})
    assert ok == set()
    broken = _broken(spec, "listMessages", path_params=params, query={"limit": "ten", "order": "sideways"})
    assert {("query", "limit", "type"), ("query", "order", "enum")} <= broken


def test_deep_object_query(spec: Spec) -> None:
    assert _broken(spec, "listChatCompletions", query={"metadata[team]": "a"}) == set()


def test_path_id_shape_and_envelope(spec: Spec) -> None:
    assert ("path", "thread_id", "id shape") in _broken(spec, "getThread", path_params={"thread_id": "abc"})
    body_op = "createChatCompletion"
    assert ("request", "content-type", "content-type") in _broken(
        spec, body_op, content=b"{}", media_type="text/plain"
    )
    assert ("body", "body", "malformed JSON") in _broken(
        spec, body_op, content=b"{", media_type="application/json"
    )
    assert ("body", "body", "required") in _broken(spec, body_op)


def test_explains_matches_label_and_subject() -> None:
    violations = [strategies.Violation("body", "temperature", "anyOf", "not valid")]
    assert strategies.explains(violations, "type: temperature")
    assert not strategies.explains(violations, "type: top_p")
    assert not strategies.explains(violations, None)
