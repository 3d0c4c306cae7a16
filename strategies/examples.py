"""The x-oaiMeta request examples, read from their curl commands into `Request`s.

The spec's own `example` keywords are almost absent; the API reference examples live in vendor
`x-oaiMeta` data as shell text. They are worth sending (they are what users copy), but they are not
ground truth, so `Generator.examples` keeps only those that validate.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from conformance.exchange import JSON, Request
from conformance.spec import Operation
from conformance.strategies import files

_API_PREFIX = "/v1"
_PLACEHOLDER_MODEL = re.compile(r"^VAR_\w+$")
_FORM_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def raw_examples(op: Operation) -> list[dict[str, Any]]:
    examples = (op.raw.get("x-oaiMeta") or {}).get("examples")
    if isinstance(examples, dict):
        examples = [examples]
    return [e for e in examples or [] if isinstance(e, dict)]


def parse_examples(op: Operation, models: tuple[str, ...] = ()) -> list[Request]:
    """Every curl example of `op` that parses, as a positive `Request` (not yet validated)."""
    out = []
    for example in raw_examples(op):
        request = example.get("request")
        curl = request.get("curl") if isinstance(request, dict) else None
        if isinstance(curl, str):
            parsed = parse_curl(op, curl, models)
            if parsed is not None:
                out.append(parsed)
    return out


def parse_curl(op: Operation, command: str, models: tuple[str, ...] = ()) -> Request | None:
    """A curl command line as a request for `op`; None when it is not one (a different path, bad shell)."""
    text = command.replace("\\\n", " ")
    try:
        words = shlex.split(text, comments=False)
    except ValueError:
        return None
    url = next((w for w in words if w.startswith(("http://", "https://"))), None)
    if url is None:
        return None
    split = urlsplit(url)
    path = split.path[len(_API_PREFIX) :] if split.path.startswith(_API_PREFIX) else split.path
    path_params = _match(op.path, path)
    if path_params is None:
        return None
    query: dict[str, Any] = dict(parse_qsl(split.query))
    headers: dict[str, str] = {}
    data: str | None = None
    form: dict[str, Any] = {}
    uploads: dict[str, files.File] = {}
    i = 0
    while i < len(words):
        word = words[i]
        value = words[i + 1] if i + 1 < len(words) else None
        if word in ("-H", "--header") and value:
            name, _, header_value = value.partition(":")
            if name.strip().lower() not in ("authorization", "content-type"):
                headers[name.strip()] = header_value.strip()
            i += 2
        elif word in ("-d", "--data", "--data-raw", "--data-binary") and value is not None:
            data = value
            i += 2
        elif word in ("-F", "--form") and value:
            _add_form_field(op, value, form, uploads)
            i += 2
        else:
            i += 1
    for name, value in op.extra_query.items():
        query.setdefault(name, value)
    for field in uploads:  # after every -F: the file depends on `purpose`, wherever it was given
        uploads[field] = files.file_for(op.path, field, form.get("purpose"))
    request = Request(
        method=op.method,
        path=path,
        operation_id=op.id,
        path_template=op.path,
        path_params=path_params,
        query=query,
        headers=headers,
    )
    if data is not None:
        try:
            body = json.loads(data)
        except ValueError:
            return None
        request.body = _replace_models(body, models)
        request.media_type = JSON
    elif form or uploads:
        request.body = _replace_models(form, models)
        request.files = uploads or None
        request.media_type = "multipart/form-data"
    return request


def _match(template: str, path: str) -> dict[str, str] | None:
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "/?$"
    match = re.match(pattern, path)
    return {k: unquote(v) for k, v in match.groupdict().items()} if match else None


def _add_form_field(
    op: Operation, spec_text: str, form: dict[str, Any], uploads: dict[str, files.File]
) -> None:
    name, _, value = spec_text.partition("=")
    match = _FORM_KEY.match(name.strip())
    if not match:
        return
    field, brackets = match.group(1), match.group(2)
    if value.startswith("@"):  # a file upload: the example names a local file; a real one is chosen later
        uploads.setdefault(field, ("", b"", ""))
        return
    keys = re.findall(r"\[([^\[\]]*)\]", brackets)
    parsed = _form_value(value)
    if not keys or keys == [""]:
        if keys == [""]:
            form.setdefault(field, []).append(parsed)
        else:
            form[field] = parsed
        return
    target = form.setdefault(field, {})
    for key in keys[:-1]:
        target = target.setdefault(key, {}) if isinstance(target, dict) else {}
    if isinstance(target, dict):
        target[keys[-1]] = parsed


def _form_value(value: str) -> Any:
    """A form value as the API reads it: numbers and booleans are typed, JSON objects parsed."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if not isinstance(parsed, str) else value


def _replace_models(body: Any, models: tuple[str, ...]) -> Any:
    if isinstance(body, dict) and isinstance(body.get("model"), str) and models:
        if _PLACEHOLDER_MODEL.match(body["model"]):
            return {**body, "model": models[0]}
    return body
