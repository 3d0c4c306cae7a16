"""`spec diff`: on the real spec edited in known ways, and between real published versions."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.spec import Spec, load
from conformance.spec.drift import KINDS, diff_specs

SHARED_SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
OLD_110 = SHARED_SPECS / "openai-openapi-a173760.yaml"
NEW_148 = SHARED_SPECS / "openai-openapi-498c71d.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def write_spec(folder: Path, document: dict[str, Any], name: str = "edited.json") -> Spec:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return load(str(path), use_cache=False)


def find(result: Any, kind: str, where: str) -> Any:
    matches = [c for c in result.changes if c.kind == kind and c.where == where]
    assert matches, f"no {kind} at {where}; found: {[(c.kind, c.where) for c in result.changes]}"
    assert len(matches) == 1, matches
    return matches[0]


def test_the_default_spec_against_itself_has_no_changes(openai_spec: Spec) -> None:
    result = diff_specs(openai_spec, openai_spec)
    assert result.changes == [] and result.added == [] and result.removed == []


def test_an_unedited_copy_has_no_changes(openai_spec: Spec, tmp_path: Path) -> None:
    copy_ = write_spec(tmp_path, copy.deepcopy(openai_spec.document))
    assert copy_.source.location != openai_spec.source.location
    assert diff_specs(openai_spec, copy_).changes == []


def edit_breaking(document: dict[str, Any]) -> None:
    """One edit per kind of breaking change, each on a different part of the real spec."""
    schemas = document["components"]["schemas"]
    paths = document["paths"]
    del paths["/moderations"]["post"]
    chat = schemas["CreateChatCompletionRequest"]
    target = next(p for p in chat["allOf"] if "properties" in p and "messages" in p["properties"])
    target["properties"]["tenant"] = {"type": "string"}
    target["required"] = [*target.get("required", []), "tenant"]
    embed = schemas["CreateEmbeddingRequest"]
    embed["required"].append("dimensions")
    embed["properties"]["encoding_format"]["enum"] = ["float"]
    embed["properties"]["dimensions"]["minimum"] = 8
    del embed["properties"]["user"]
    files = paths["/files"]["get"]
    files["parameters"] = [p for p in files["parameters"] if p.get("name") != "limit"]
    after = next(p for p in files["parameters"] if p.get("name") == "after")
    after["schema"] = {"type": "integer"}
    paths["/models"]["get"]["parameters"] = [
        {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}}
    ]
    model = schemas["Model"]
    del model["properties"]["owned_by"]
    model["required"].remove("owned_by")
    model["properties"]["object"]["enum"] = ["model", "model.v2"]
    model["properties"]["created"] = {"type": "string"}
    embedding = schemas["Embedding"]
    embedding["properties"]["vector"] = embedding["properties"].pop("embedding")
    embedding["required"] = ["vector" if r == "embedding" else r for r in embedding["required"]]
    schemas["CreateEmbeddingResponse"]["required"].remove("usage")
    del paths["/audio/speech"]["post"]["responses"]["200"]["headers"]["Transfer-Encoding"]


@pytest.fixture(scope="module")
def breaking(openai_spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Any:
    document = copy.deepcopy(openai_spec.document)
    edit_breaking(document)
    return diff_specs(openai_spec, write_spec(tmp_path_factory.mktemp("breaking"), document))


@pytest.mark.parametrize(
    ("kind", "where", "operations"),
    [
        ("operation-removed", "POST /moderations", ["createModeration"]),
        ("request-field-added-required", "CreateChatCompletionRequest.tenant", ["createChatCompletion"]),
        ("request-field-became-required", "CreateEmbeddingRequest.dimensions", ["createEmbedding"]),
        ("request-enum-narrowed", "CreateEmbeddingRequest.encoding_format", ["createEmbedding"]),
        ("request-bounds-tightened", "CreateEmbeddingRequest.dimensions", ["createEmbedding"]),
        ("request-field-removed", "CreateEmbeddingRequest.user", ["createEmbedding"]),
        ("request-type-narrowed", "GET /files query parameter after", ["listFiles"]),
        ("parameter-removed", "GET /files query parameter limit", ["listFiles"]),
        ("parameter-added-required", "GET /models query parameter region", ["listModels"]),
        ("response-field-removed", "Model.owned_by", ["listModels", "retrieveModel"]),
        ("response-enum-widened", "Model.object", ["listModels", "retrieveModel"]),
        ("response-type-changed", "Model.created", ["listModels", "retrieveModel"]),
        ("response-field-renamed", "Embedding.embedding", ["createEmbedding"]),
        ("response-field-became-optional", "CreateEmbeddingResponse.usage", ["createEmbedding"]),
        ("response-header-removed", "POST /audio/speech response 200", ["createSpeech"]),
    ],
)
def test_each_kind_of_breaking_change_is_found(
    breaking: Any, kind: str, where: str, operations: list
) -> None:
    change = find(breaking, kind, where)
    assert change.breaking and KINDS[kind][0]
    assert set(operations) <= set(change.operations)


def test_breaking_changes_name_the_checks_they_affect(breaking: Any) -> None:
    assert find(breaking, "request-field-added-required", "CreateChatCompletionRequest.tenant").checks[0] == (
        "positive.accepted"
    )
    assert "response.schema" in find(breaking, "response-field-removed", "Model.owned_by").checks
    assert "object.invariants" in find(breaking, "response-enum-widened", "Model.object").checks
    removed = find(breaking, "operation-removed", "POST /moderations")
    assert {"response.schema", "error.envelope", "negative.rejected"} <= set(removed.checks)
    assert [op.id for op in breaking.removed] == ["createModeration"]


def test_the_edits_cause_nothing_else(breaking: Any) -> None:
    """Every change found is explained by an edit: no noise from unrelated schemas or operations."""
    touched = (
        "CreateChatCompletionRequest",
        "CreateEmbedding",
        "Embedding",
        "Model",
        "GET /files",
        "GET /models",
        "POST /audio/speech",
    )
    unexplained = [c for c in breaking.changes if not c.where.startswith((*touched, "POST /moderations"))]
    assert unexplained == []
    renamed = find(breaking, "response-field-renamed", "Embedding.embedding")
    assert "vector" in renamed.message
    assert not [c for c in breaking.changes if c.where == "Embedding.vector"]  # the rename is one change


def test_non_breaking_changes_are_listed_apart(openai_spec: Spec, tmp_path: Path) -> None:
    document = copy.deepcopy(openai_spec.document)
    schemas = document["components"]["schemas"]
    schemas["CreateEmbeddingRequest"]["properties"]["priority"] = {"type": "integer"}
    schemas["CreateEmbeddingRequest"]["properties"]["encoding_format"]["enum"].append("int8")
    schemas["CreateEmbeddingRequest"]["required"].remove("input")
    schemas["Model"]["properties"]["region"] = {"type": "string"}
    schemas["Model"]["properties"]["object"]["description"] = "reworded, which is not a change"
    document["paths"]["/models/{model}"]["get"]["deprecated"] = True
    document["paths"]["/models-preview"] = {"get": copy.deepcopy(document["paths"]["/models"]["get"])}
    document["paths"]["/models-preview"]["get"]["operationId"] = "listPreviewModels"
    result = diff_specs(openai_spec, write_spec(tmp_path, document))
    assert result.breaking == []
    assert {(c.kind, c.where) for c in result.changes} == {
        ("request-field-added", "CreateEmbeddingRequest.priority"),
        ("request-enum-widened", "CreateEmbeddingRequest.encoding_format"),
        ("request-field-became-optional", "CreateEmbeddingRequest.input"),
        ("response-field-added", "Model.region"),
        ("operation-deprecated", "GET /models/{model}"),
        ("operation-added", "GET /models-preview"),
    }
    assert [op.id for op in result.added] == ["listPreviewModels"]
    # a request the old spec called invalid may now be valid: negative tests move
    assert find(result, "request-enum-widened", "CreateEmbeddingRequest.encoding_format").checks == [
        "negative.rejected"
    ]


def test_recursive_schemas_terminate_and_report_once(openai_spec: Spec, tmp_path: Path) -> None:
    old = copy.deepcopy(openai_spec.document)
    old["components"]["schemas"]["Model"]["properties"]["parent"] = {"$ref": "#/components/schemas/Model"}
    old["components"]["schemas"]["Model"]["properties"]["children"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Model"},
    }
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Model"]["properties"]["owned_by"]["type"] = "integer"
    result = diff_specs(write_spec(tmp_path, old, "old.json"), write_spec(tmp_path, new, "new.json"))
    assert [(c.kind, c.where) for c in result.changes] == [("response-type-changed", "Model.owned_by")]
    assert set(result.changes[0].operations) == {"listModels", "retrieveModel"}


def test_limiting_to_operations(breaking: Any, openai_spec: Spec, tmp_path: Path) -> None:
    document = copy.deepcopy(openai_spec.document)
    edit_breaking(document)
    result = diff_specs(openai_spec, write_spec(tmp_path, document), operations={"listModels"})
    assert {op for c in result.changes for op in c.operations} == {"listModels"}
    assert {c.where for c in result.changes} == {
        "GET /models query parameter region",
        "Model.owned_by",
        "Model.object",
        "Model.created",
    }


# Between published versions of the spec (skipped where ../shared/specs is absent).

needs_shared = pytest.mark.skipif(not NEW_148.exists(), reason=f"{SHARED_SPECS} is absent")


def raw_operations(path: Path) -> set[tuple[str, str]]:
    """Method and path of every operation, read straight from the file (path params and query dropped)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    found = set()
    for key, item in document["paths"].items():
        plain = re.sub(r"\{[^}]*\}", "{}", key.split("?")[0])
        found |= {(method.upper(), plain) for method in item if method in HTTP_METHODS}
    return found


@needs_shared
def test_operations_added_between_110_and_148_versions_exactly() -> None:
    old, new = raw_operations(OLD_110), raw_operations(NEW_148)
    assert (len(old), len(new)) == (110, 148)
    result = diff_specs(load(str(OLD_110)), load(str(NEW_148)))
    found = {(op.method, re.sub(r"\{[^}]*\}", "{}", op.path)) for op in result.added}
    assert found == new - old
    assert len(found) == 38
    assert {(op.method, op.path) for op in result.removed} == set()
    # and it is symmetric: going back, those operations are the removed ones, and they break
    back = diff_specs(load(str(NEW_148)), load(str(OLD_110)))
    assert {(op.method, re.sub(r"\{[^}]*\}", "{}", op.path)) for op in back.removed} == new - old
    assert {c.kind for c in back.breaking} >= {"operation-removed"}


@needs_shared
def test_known_changes_between_110_and_148_versions() -> None:
    """Changes the seed analysis lists between the two versions (docs/seeds.md §2)."""
    result = diff_specs(load(str(OLD_110)), load(str(NEW_148)))
    purposes = find(result, "request-enum-widened", "CreateFileRequest.purpose")
    assert "user_data" in purposes.message and "evals" in purposes.message
    assert (
        "/v1/responses"
        in find(
            result, "request-enum-widened", "POST /batches request body (application/json).endpoint"
        ).message
    )
    assert find(result, "request-field-added", "CreateChatCompletionRequest.web_search_options")
    assert find(result, "response-field-added", "OpenAIFile.expires_at")
    assert "flex" in find(result, "request-enum-widened", "ServiceTier").message


@needs_shared
def test_a_3_0_document_and_its_3_1_rewrite_do_not_differ(tmp_path: Path) -> None:
    original = load(str(OLD_110))
    assert original.openapi.startswith("3.0")
    rewritten = write_spec(tmp_path, original.document, "rewritten-3.1.json")
    assert rewritten.openapi.startswith("3.1")
    assert diff_specs(original, rewritten).changes == []
