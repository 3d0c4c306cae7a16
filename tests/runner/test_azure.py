"""Azure OpenAI as a target: the `api-key` header, the `api-version` query, the deployment path layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main
from conformance.emulator import create_app
from conformance.errors import ConformanceError
from conformance.exchange import Request
from conformance.runner.config import resolve
from conformance.runner.fixed import with_fixed
from conformance.spec import load
from tests.runner.support import read_results

AZURE_VERSION = "2024-10-21"


def _failures(results: dict) -> list:
    return [
        (r["phase"], r["operation_id"], r["reason"] or [v["message"] for v in r["violations"]])
        for r in results["operations"]
        if r["outcome"] not in ("passed", "skipped")
    ]


def test_run_on_the_azure_spec_in_process_conforms(tmp_path: Path) -> None:
    code = main(["run", "--spec", "azure", "--max-examples", "3", "--report-dir", str(tmp_path)])
    results = read_results(tmp_path)
    assert code == 0 and not _failures(results), _failures(results)
    passed = {r["operation_id"] for r in results["operations"] if r["outcome"] == "passed"}
    assert passed == {op.id for op in load("azure").operations}


def test_run_against_an_azure_shaped_server_over_http(tmp_path: Path, serve, monkeypatch) -> None:
    """The emulator serving the Azure spec only takes the `api-key` header it declares; every
    request names the deployment and the api-version."""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-test-key")
    app = create_app(load("azure"), api_keys={"azure-test-key"}, base_path="/openai")  # Azure's layout
    seen: list[tuple[str, str, str]] = []
    refused: list[int] = []  # the statuses of requests without a query

    async def spy(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            seen.append(
                (scope["path"], scope["query_string"].decode(), headers.get(b"api-key", b"").decode())
            )

            async def status_of(message):
                if message["type"] == "http.response.start" and scope["query_string"] == b"":
                    refused.append(message["status"])
                await send(message)

            return await app(scope, receive, status_of)
        await app(scope, receive, send)

    base = serve(spy).removesuffix("/v1") + "/openai"
    args = ["run", "--target", base, "--spec", "azure", "--max-examples", "2", "--report-dir", str(tmp_path)]
    args += ["--api-key-env", "AZURE_OPENAI_API_KEY", "--auth-header", "api-key"]
    args += ["--query", f"api-version={AZURE_VERSION}", "--deployment", "gpt-4o-mini"]
    code = main(args)
    results = read_results(tmp_path)
    assert code == 0 and not _failures(results), _failures(results)
    passed = {r["operation_id"] for r in results["operations"] if r["outcome"] == "passed"}
    assert passed == {op.id for op in load("azure").operations}
    deployments = [path for path, _, _ in seen if path.startswith("/openai/deployments/")]
    assert len(deployments) > 20
    assert all(path.startswith("/openai/deployments/gpt-4o-mini/") for path in deployments)
    # every request names the api-version, but the negative ones that leave out the required parameter
    unversioned = [path for path, query, _ in seen if f"api-version={AZURE_VERSION}" not in query]
    assert len(unversioned) < len(seen) - len(unversioned)
    assert refused and all(400 <= status < 500 for status in refused), refused
    assert {key for _, _, key in seen} == {"azure-test-key"}


def test_the_emulator_takes_the_key_in_the_header_the_spec_declares(serve) -> None:
    import httpx

    base = serve(create_app(load("azure"), api_keys={"k1"}))
    url = f"{base}/deployments/d/embeddings?api-version={AZURE_VERSION}"
    assert httpx.post(url, json={"input": "hi"}, headers={"api-key": "k1"}).status_code == 200
    assert httpx.post(url, json={"input": "hi"}, headers={"authorization": "Bearer k1"}).status_code == 200
    assert httpx.post(url, json={"input": "hi"}, headers={"api-key": "nope"}).status_code == 401
    default = serve(create_app(load(), api_keys={"k1"}))  # the official spec declares no api-key header
    assert httpx.get(f"{default}/models", headers={"api-key": "k1"}).status_code == 401


def test_options_come_from_the_environment_and_pyproject(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.openai-conformance]\nquery = ["api-version=2024-10-21"]\nauth-header = "api-key"\n'
    )
    config = resolve({}, environ={"OPENAI_CONFORMANCE_DEPLOYMENT": "dep"}, pyproject=pyproject)
    assert (config.fixed_query, config.auth_header, config.deployment) == (
        {"api-version": AZURE_VERSION},
        "api-key",
        "dep",
    )
    with pytest.raises(ConformanceError, match="expected NAME=VALUE"):
        resolve({"query": "api-version"}, environ={}, pyproject=False)
    with pytest.raises(ConformanceError, match="expected a header name"):
        resolve({"auth_header": "api key"}, environ={}, pyproject=False)


def test_fixed_values_leave_what_a_negative_request_breaks() -> None:
    spec = load("azure")
    op = spec.operation("embeddings_create")
    config = resolve(
        {"query": f"api-version={AZURE_VERSION}", "deployment": "dep"}, environ={}, pyproject=False
    )
    request = Request(
        "POST", "/deployments/x1/embeddings", op.id, op.path, {"deployment-id": "x1"}, {"api-version": "?"}
    )
    fixed = with_fixed(request, op, config)
    assert (fixed.path, fixed.query) == ("/deployments/dep/embeddings", {"api-version": AZURE_VERSION})
    assert request.path == "/deployments/x1/embeddings"  # the generated request is left alone
    request.breaks = "type: api-version"
    assert with_fixed(request, op, config).query == {"api-version": "?"}


def test_the_preview_spec_gets_the_fields_it_requires_and_its_required_query(tmp_path: Path) -> None:
    """azure-preview requires `bytes` on a vector store (the official spec has no such field), the
    stateful phase's own requests carry the api-version every operation requires, and its responses
    operations (a description given as a $ref) generate and are answered."""
    ops = "Create_Vector_Store,Get_Vector_Store,List_Vector_Stores,Create_Assistant,Get_Assistant,/responses*"
    args = ["run", "--spec", "azure-preview", "--include", ops, "--phases", "positive,stateful"]
    code = main([*args, "--max-examples", "2", "--report-dir", str(tmp_path)])
    results = read_results(tmp_path)
    assert code == 0 and not _failures(results), _failures(results)
    stateful = [r for r in results["operations"] if r["phase"] == "stateful"]
    assert {r["operation_id"] for r in stateful} == {
        "Create_Vector_Store",
        "Create_Assistant",
        "POST /responses",
    }
    assert all(r["outcome"] == "passed" for r in stateful)


def test_a_runner_built_request_gets_the_required_query_from_the_spec() -> None:
    spec = load("azure-preview")
    op = spec.operation("Get_Assistant")
    config = resolve({}, environ={}, pyproject=False)
    request = Request(
        "GET", "/assistants/asst_1", op.id, op.path, {"assistant_id": "asst_1"}, mode="scenario"
    )
    assert with_fixed(request, op, config).query == {"api-version": "2025-04-01-preview"}
    generated = Request("GET", "/assistants/asst_1", op.id, op.path, query={"api-version": "x"})
    assert with_fixed(generated, op, config).query == {"api-version": "x"}  # a generated value stays


def test_reproductions_of_an_azure_run_use_its_header_and_query(tmp_path: Path, monkeypatch, capsys) -> None:
    """The curl and Python reproductions resend with `api-key` and the api-version the run used; the key
    is named by its variable, never printed."""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-secret-999")
    args = ["run", "--spec", "azure", "--include", "embeddings_create", "--phases", "positive"]
    args += ["--max-examples", "1", "--emulator-fault", "missing-request-id", "--report-dir", str(tmp_path)]
    args += ["--auth-header", "api-key", "--api-key-env", "AZURE_OPENAI_API_KEY"]
    args += ["--query", f"api-version={AZURE_VERSION}", "--deployment", "dep1"]
    assert main(args) == 1
    out = capsys.readouterr()
    (violation,) = [v for r in read_results(tmp_path)["operations"] for v in r["violations"]]
    html = next(tmp_path.glob("*/report.html")).read_text()
    for text in (
        out.out + out.err,
        violation["reproduction"]["curl"],
        violation["reproduction"]["python"],
        html,
    ):
        assert f"api-version={AZURE_VERSION}" in text or f"'api-version': '{AZURE_VERSION}'" in text
        assert "azure-secret-999" not in text
        assert "Bearer" not in text
        assert "AZURE_OPENAI_API_KEY" in text
    assert '-H "api-key: $AZURE_OPENAI_API_KEY"' in out.out + out.err
    assert "/deployments/dep1/embeddings" in violation["reproduction"]["curl"]
