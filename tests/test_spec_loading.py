from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jsonschema import Draft202012Validator

from conformance.errors import SpecError
from conformance.spec import load
from tests.spec_paths import FIXTURES, SHARED_SPECS


def _walk(node):
    yield node
    if isinstance(node, dict):
        for key, value in node.items():
            assert isinstance(key, str), f"non-string key {key!r}"
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_default_spec_counts(openai_spec):
    assert openai_spec.source.name == "openai"
    assert openai_spec.version == "2.3.0"
    assert len(openai_spec.source.sha256) == 64
    assert len(openai_spec.operations) == 271
    assert len(openai_spec.document["components"]["schemas"]) >= 980
    assert len(openai_spec.by_id) == len(openai_spec.operations), "operation ids are unique"


def test_default_spec_index(openai_spec):
    listing = openai_spec.operation("listAssistants")
    assert listing.paginated and not listing.streams
    assert listing.method == "GET" and listing.path == "/assistants"
    assert {p.name for p in listing.parameters} >= {"limit", "order", "after", "before"}
    assert listing.deprecated
    chat = openai_spec.operation("createChatCompletion")
    assert chat.streams and not chat.paginated
    assert "application/json" in chat.request_bodies and chat.body_required
    assert openai_spec.operation("createFile").request_bodies.keys() == {"multipart/form-data"}
    paginated = {op.id for op in openai_spec.operations if op.paginated}
    assert {"listMessages", "listRuns", "listFiles", "listBatches", "listVectorStores"} <= paginated
    assert "listModels" not in paginated  # no cursor, no has_more
    assert "retrieveModel" not in paginated


def test_default_spec_is_plain_json(openai_spec):
    for node in _walk(openai_spec.document):
        assert not isinstance(node, (datetime, date)), node
    json.dumps(openai_spec.document)


def test_default_spec_normalised(openai_spec):
    fixes = {n.name: n.count for n in openai_spec.normalisations}
    assert fixes["nullable"] > 100
    assert fixes["boolean-exclusive-bounds"] == 7
    assert fixes["duplicate-required"] == 1
    # CreateVideoCharacterBody requires `video` and `name`, yet the spec leaves the body optional
    assert fixes["optional-body-with-required-fields"] >= 1
    assert openai_spec.operation("CreateVideoCharacter").body_required
    assert not openai_spec.operation("createThread").body_required  # nothing required: stays optional
    required = openai_spec.document["components"]["schemas"]["ContainerResource"]["required"]
    assert len(required) == len(set(required))
    for node in _walk(openai_spec.document):
        if isinstance(node, dict):
            assert node.get("nullable") not in (True, False) or "properties" in node
            assert not isinstance(node.get("exclusiveMinimum"), bool)


def test_error_overlay(openai_spec):
    op = openai_spec.operation("getAssistant")
    for status in ("400", "401", "404", "429", "5XX"):
        assert status in op.responses
    assert op.responses["404"].overlay == "error-responses"
    assert op.response_for(503).status == "5XX"
    assert op.responses["200"].overlay is None
    schema = openai_spec.resolve(op.responses["401"].content["application/json"])
    assert schema["properties"]["error"]


def test_yaml_fixture_normalisations():
    spec = load(str(FIXTURES / "mini31.yaml"), use_cache=False)
    schemas = spec.document["components"]["schemas"]
    widget = schemas["Widget"]
    assert widget["required"] == ["id", "object", "size"]
    assert widget["properties"]["size"] == {"type": "number", "exclusiveMinimum": 0}
    assert widget["properties"]["colour"] == {"type": ["string", "null"], "enum": ["red", "blue", None]}
    assert widget["properties"]["released"]["example"] == "2024-10-01T00:00:00.000Z"
    create = schemas["CreateWidget"]["properties"]
    assert create["size"] == {"type": "number", "maximum": 10}
    assert create["note"]["anyOf"][1] == {"type": "null"}
    assert schemas["Shape"]["discriminator"]["mapping"] == {
        "circle": "#/components/schemas/Circle",
        "square": "#/components/schemas/Square",
    }
    assert "/widgets/{widget_id}" in spec.document["paths"]
    get = spec.operation("getWidget")
    assert get.extra_query == {"beta": "true"} and get.path == "/widgets/{widget_id}"
    assert spec.operation("listWidgets").paginated
    assert "200" in spec.operation("listWidgets").responses  # YAML int key became a string
    assert spec.operation("createWidget").streams
    names = {n.name for n in spec.normalisations}
    assert names == {
        "nullable",
        "boolean-exclusive-bounds",
        "duplicate-required",
        "query-in-path-key",
        "discriminator-mapping",
    }


def test_openapi30_json_fixture():
    spec = load(str(FIXTURES / "mini30.json"), use_cache=False)
    assert spec.openapi == "3.0.0" and spec.document["openapi"] == "3.1.0"
    assert {n.name for n in spec.normalisations} >= {
        "openapi-3.0-upgrade",
        "nullable",
        "boolean-exclusive-bounds",
    }
    thing = spec.document["components"]["schemas"]["Thing"]
    assert thing["properties"]["name"]["type"] == ["string", "null"]
    limit = spec.operation("listThings").param("limit", "query")
    assert limit.schema == {"type": "integer", "minimum": 1}
    assert spec.operation("listThings").paginated


def test_json_and_yaml_load_alike(tmp_path):
    import yaml

    as_yaml = tmp_path / "mini30.yaml"
    as_yaml.write_text(yaml.safe_dump(json.loads((FIXTURES / "mini30.json").read_text())))
    a = load(str(FIXTURES / "mini30.json"), use_cache=False)
    b = load(str(as_yaml), use_cache=False)
    assert a.document == b.document


def test_cache_gives_the_same_document(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_CONFORMANCE_CACHE_DIR", str(tmp_path))
    import conformance.spec as spec_module

    monkeypatch.setattr(spec_module, "_loaded", {})
    first = load(str(FIXTURES / "mini31.yaml"))
    assert list(tmp_path.iterdir()), "a cache file is written"
    monkeypatch.setattr(spec_module, "_loaded", {})
    second = load(str(FIXTURES / "mini31.yaml"))
    assert second.document == first.document
    assert [vars(n) for n in second.normalisations] == [vars(n) for n in first.normalisations]
    assert second.skipped_overlays == first.skipped_overlays and first.skipped_overlays


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("openapi: 3.1.0\npaths: {a: [\n", "invalid YAML at line"),
        ('{"openapi": "3.1.0", "paths": ', "invalid JSON at line 1"),
        ("swagger: '2.0'\npaths: {}\n", "not an OpenAPI 3.x document (swagger 2.0)"),
        ("- just\n- a list\n", "top level is not a mapping"),
        (
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
            "        '200': {$ref: '#/components/responses/Missing'}\n",
            "unresolvable $ref '#/components/responses/Missing'",
        ),
    ],
)
def test_bad_documents(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(SpecError) as raised:
        load(str(path), use_cache=False)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_missing_file():
    with pytest.raises(SpecError, match="no such file"):
        load("/nonexistent/openapi.yaml")


@pytest.fixture
def spec_server() -> Iterator[str]:
    body = (FIXTURES / "mini31.yaml").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/openapi.yaml":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_source(spec_server):
    spec = load(f"{spec_server}/openapi.yaml", use_cache=False)
    assert spec.title == "Mini 3.1" and spec.source.location.startswith("http://127.0.0.1")
    with pytest.raises(SpecError, match="HTTP 404"):
        load(f"{spec_server}/missing.yaml", use_cache=False)


def test_unreachable_url():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SpecError, match="unreachable"):
        load(f"http://127.0.0.1:{port}/openapi.yaml", use_cache=False)


REFERENCE = [
    ("openai-openapi-a173760.yaml", "3.0.0", 110),
    ("openai-openapi-498c71d.yaml", "3.0.0", 148),
    # 288 operations, 7 of them `?beta=true` twins of a plain path's operation: merged.
    ("openai-openapi-f85dbe2.json", "3.1.0", 281),
]


@pytest.mark.skipif(not SHARED_SPECS.is_dir(), reason="../shared/specs is absent")
@pytest.mark.parametrize(("name", "openapi", "count"), REFERENCE)
def test_reference_specs(name, openapi, count):
    spec = load(str(SHARED_SPECS / name))
    assert spec.openapi == openapi
    assert len(spec.operations) == count
    assert len(spec.by_id) == count
    assert any(op.paginated for op in spec.operations)
    assert spec.operation("createChatCompletion").streams or openapi == "3.0.0"
    json.dumps(spec.document)
    if name.endswith("f85dbe2.json"):
        fixes = {n.name: n.count for n in spec.normalisations}
        assert fixes["query-in-path-key"] == 6
        assert not any("?" in path for path in spec.document["paths"])


def test_properties_named_like_keywords_are_normalised_as_schemas():
    """`properties` maps names to schemas: a property called `default`, `example` or `enum` is fixed like
    any other, and one called `description` or `title` that is a `$ref` keeps its schema."""
    spec = load(str(FIXTURES / "keyword_properties.yaml"), use_cache=False)
    props = spec.document["components"]["schemas"]["Widget"]["properties"]
    for name in ("format", "default", "enum"):
        assert props[name] == {"type": ["string", "null"]}, name
    assert props["example"] == {"type": "integer", "exclusiveMinimum": 0}
    assert props["description"] == props["title"] == {"$ref": "#/components/schemas/Label"}
    assert props["type"] == {"type": "string", "enum": ["widget"]}
    assert props["items"] == {"type": "array", "items": {"type": "string"}}
    fixed = {n.name: n for n in spec.normalisations}
    assert fixed["nullable"].count == 3 and "reference-as-text" not in fixed
    assert "#/components/schemas/Widget/properties/default" in fixed["nullable"].where
    schema = spec.operation("createWidget").request_bodies["application/json"]
    validator = Draft202012Validator({**schema, "components": spec.document["components"]})
    assert validator.is_valid({"type": "widget", "default": None, "description": {"text": "x"}})
    assert not validator.is_valid({"type": "widget", "default": None, "description": "text"})


def test_overlay_entries_whose_target_the_spec_lacks_are_skipped_and_listed(tmp_path):
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "older", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "CreateVectorStoreFileBatchRequest": {
                    "type": "object",
                    "required": ["file_ids"],
                    "properties": {"file_ids": {"type": "array", "items": {"type": "string"}}},
                },
                "CreateEmbeddingRequest": {
                    "type": "object",
                    "properties": {"input": {"type": "string"}, "model": {"type": "string"}},
                },
            }
        },
    }
    path = tmp_path / "older.json"
    path.write_text(json.dumps(doc))
    spec = load(str(path), use_cache=False)
    schemas = spec.document["components"]["schemas"]
    # `files` is not in this spec: "exactly one of file_ids/files" would make the generator send it
    assert "oneOf" not in schemas["CreateVectorStoreFileBatchRequest"]
    assert "dimensions" not in schemas["CreateEmbeddingRequest"]["properties"]
    assert "not" in schemas["CreateEmbeddingRequest"]["properties"]["input"]  # its own field still patched
    skipped = "\n".join(spec.skipped_overlays)
    assert (
        "CreateVectorStoreFileBatchRequest.oneOf (the spec's CreateVectorStoreFileBatchRequest has no `files`)"
        in skipped
    )
    assert "CreateEmbeddingRequest.properties.dimensions" in skipped
    assert "CreateEmbeddingRequest.allOf" in skipped  # names `dimensions` too
    assert "CreateUploadRequest (the spec has no such schema)" in skipped


def test_the_default_spec_skips_no_overlay_entry(openai_spec):
    assert openai_spec.skipped_overlays == []
