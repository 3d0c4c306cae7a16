"""auth.required: reads go once more without the run's credentials, and a target must refuse them."""

from __future__ import annotations

from conformance.checks import run_checks
from conformance.exchange import Exchange, Response
from conformance.results import reproduction
from conformance.runner.auth import INVALID_KEY, MALFORMED, NO_CREDENTIALS, probes
from conformance.runner.config import RunConfig
from conformance.runner.target import Target


def labels(requests) -> list[str]:
    return [r.breaks.removeprefix("auth: ") for r in requests]


def test_reads_are_probed_and_only_a_real_account_gets_an_invalid_key(openai_spec) -> None:
    models = openai_spec.operation("listModels")
    local = RunConfig(target="http://127.0.0.1:9/v1")
    remote = RunConfig(target="https://api.example.com/v1")
    assert labels(probes(models, local, {})) == [NO_CREDENTIALS, MALFORMED]  # open mode takes any key
    assert labels(probes(models, remote, {})) == [NO_CREDENTIALS, MALFORMED, INVALID_KEY]
    assert labels(probes(openai_spec.operation("listAssistants"), local, {})) == [NO_CREDENTIALS]
    assert probes(openai_spec.operation("createAssistant"), local, {}) == []  # never a write
    get = openai_spec.operation("getAssistant")
    assert probes(get, local, None) == []  # no object to read
    (probe,) = probes(get, local, {"assistant_id": "asst_1"})
    assert probe.path == "/assistants/asst_1" and probe.mode == "negative"
    azure = RunConfig(target="http://127.0.0.1:9/v1", auth_header="api-key")
    assert labels(probes(models, azure, {})) == [NO_CREDENTIALS]


def test_a_probe_goes_without_the_run_key_and_its_reproduction_too(openai_spec, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    config = RunConfig(target="http://127.0.0.1:9/v1")
    target = Target(config, openai_spec)
    models = openai_spec.operation("listModels")
    bare, malformed = probes(models, config, {})
    try:
        assert "authorization" not in target.build(bare, models).headers
        assert target.build(malformed, models).headers["authorization"].startswith("Basic ")
    finally:
        target.close()
    assert "OPENAI_API_KEY" not in reproduction(bare.to_dict(), config.target)["curl"]


def test_auth_required_wants_a_401(openai_spec) -> None:
    (bare,) = probes(openai_spec.operation("listAssistants"), RunConfig(target="emulator"), {})
    envelope = (
        b'{"error": {"message": "no key", "type": "invalid_request_error", "param": null, "code": null}}'
    )
    page = b'{"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false}'
    json = {"content-type": "application/json"}
    errors = ["errors"]  # auth.required, negative.rejected, error.envelope, ...
    refused = run_checks(Exchange(bare, Response(401, json, envelope)), openai_spec, checks=errors)
    served = run_checks(Exchange(bare, Response(200, json, page)), openai_spec, checks=errors)
    assert not refused
    assert [(v.check, v.expected) for v in served] == [("auth.required", "401")]  # not negative.rejected too
    assert "a request with no credentials was answered 200" in served[0].message
