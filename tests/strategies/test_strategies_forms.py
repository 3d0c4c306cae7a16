"""Multipart form field names stay inside what RFC 7578 and naive parsers read back unchanged.

Schemathesis draws any name for a form body's additional properties (control characters, `"`, `;`,
non-ASCII): a `;` in CreateContainerFile's names crashed Prism 5's parser and ended the run as
"target unreachable". Every positive request of every multipart operation is built as the runner sends
it and parsed back by a real parser (starlette over python-multipart): the same fields, the same values.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import UploadFile
from starlette.requests import Request as StarletteRequest

from conformance import strategies
from conformance.runner.config import RunConfig
from conformance.runner.target import Target, form_fields
from conformance.spec import Spec
from conformance.strategies.generator import FORM_NAME_CHARACTERS, form_name

FAST = settings(max_examples=12, derandomize=True, database=None, deadline=None)
MULTIPART = "multipart/form-data"


def test_the_names_a_content_disposition_cannot_carry_unchanged_are_refused() -> None:
    for name in ["file", "purpose", "x-y.z", "a b", "~!#$&'()*+,-./:<>?@^_`{|}"]:
        assert form_name(name), name
    # `;` and `=` split the header in naive parsers, `"` `\` CR LF break the quoted-string, `%` is
    # ambiguous with httpx's percent-encoding, `[]` mean nesting, non-ASCII has no agreed encoding
    for name in ["", "a;b", "a=b", 'a"b', "a\\b", "a\rb", "a\nb", "a\x00", "a\x7f", "%22", "a[]", "é", " a"]:
        assert not form_name(name), name


@given(st.text())
@settings(database=None, deadline=None)
def test_an_accepted_name_is_printable_ascii_without_separators(name: str) -> None:
    if form_name(name):
        assert name.isascii() and name.isprintable() and not set('";=%\\[]\r\n') & set(name)
        assert set(name) <= FORM_NAME_CHARACTERS and name.strip() == name


def _parse(target: Target, request: strategies.Request, spec: Spec) -> list[tuple[str, object]]:
    """The request as the runner sends it, read back by starlette's multipart parser."""
    built = target.build(request, spec.operation(request.operation_id))
    body = built.read()
    scope = {
        "type": "http",
        "method": built.method,
        "path": built.url.path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in built.headers.items()],
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def read() -> list[tuple[str, object]]:
        form = await StarletteRequest(scope, receive).form()
        items: list[tuple[str, object]] = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                items.append((name, (value.filename, await value.read())))
            else:
                items.append((name, value))
        await form.close()
        return items

    return asyncio.run(read())


@pytest.mark.parametrize(
    "operation_id",
    ["CreateContainerFile", "createImageEdit", "createImageVariation", "createVideo", "CreateVideoRemix"],
)
def test_every_multipart_request_parses_back_to_the_fields_it_was_drawn_with(
    spec: Spec, operation_id: str, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conformance-test")
    target = Target(RunConfig(target="http://127.0.0.1:9/v1"), spec)
    seen = []

    @FAST
    @given(strategies.requests(operation_id, spec=spec))
    def run(request: strategies.Request) -> None:
        if request.media_type != MULTIPART:
            return
        seen.append(request)
        assert all(form_name(name) for name in [*(request.body or {}), *(request.files or {})]), request.body
        expected = [
            (name, v)
            for name, value in form_fields(request.body).items()
            for v in (value if isinstance(value, list) else [value])
        ]
        expected += [(name, (fname, blob)) for name, (fname, blob, _) in (request.files or {}).items()]
        assert sorted(_parse(target, request, spec), key=repr) == sorted(expected, key=repr)

    try:
        run()
    finally:
        target.close()
    assert seen, f"no multipart request of {operation_id} was drawn"
