"""Hypothesis strategies for OpenAI API requests.

    from conformance import strategies
    from conformance.spec import load

    spec = load()                                          # or load("path/to/openapi.yaml")
    state = strategies.State()                             # what exists on the target
    state.add("thread_abc123")                             # kind from the id's prefix
    state.add("msg_1", parents={"thread_id": "thread_abc123"})
    state.models = strategies.Models.from_list_response(models_body)  # the target's GET /models

    positive = strategies.requests("createMessage", state=state, spec=spec)
    negative = strategies.requests("createMessage", mode="negative", spec=spec)
    examples = strategies.examples("createMessage", spec=spec)
    problems = strategies.validate("createMessage", request, spec=spec)  # [] when it fits

Each strategy draws complete `conformance.exchange.Request`s (method, concrete path, path_params,
query, headers, body or files or raw content, media_type, mode, breaks).

* Positive requests validate against the operation's schemas. Schemathesis draws them
  (`as_strategy`) from a copy of the spec narrowed to what the docs say in prose (metadata limits,
  "between 1 and 100", "maximum length is N"); this package adds ids of the right kind (or from
  `State`, read at draw time, nested ids consistent with their parents), model names from the
  `Models` registry, real files per upload purpose (JSONL, PNG, WAV, text, zip), and one draw in
  ten replays a valid x-oaiMeta example. A draw that does not validate is never handed out.
* Negative requests break exactly one constraint, named in `Request.breaks`: "required: model",
  "type: temperature", "enum: order", "maxLength: name", "maximum: limit", "minItems: messages",
  "additionalProperties: x_conformance_unexpected", "malformed JSON", "content-type",
  "required: body", "path id shape: thread_id". Each is re-validated when drawn and only handed out
  if the validator reports that very constraint (`explains`). An operation with nothing to break
  gives an empty strategy (`Generator.breakable` says which).
* "nulls" requests are positive ones with every body property the spec lets be null (3.0 `nullable`,
  3.1 `type: [..., "null"]`, a `{type: null}` branch) set to null, named in `Request.nulls`; as
  many as validate together (`Generator.nullable` lists the candidates); "nested-nulls" only those
  inside objects, whose parents it keeps or makes (`{"reasoning": {"effort": null}}`).
* Requests never carry auth headers: the runner adds them. Path id shapes ("thread_…", "file-…")
  are a convention the spec does not write down; `validate(..., id_shapes=False)` skips them.

Nothing here is global state: a `State` belongs to one run; built generators are memoised per spec
object only so that each is built once.
"""

from __future__ import annotations

from typing import Literal

from hypothesis import strategies as st

from conformance.exchange import Request
from conformance.spec import Operation, Spec, load
from conformance.strategies.generator import Generator
from conformance.strategies.ids import IdKind, kind_for
from conformance.strategies.models import DEFAULT_MODELS, Models
from conformance.strategies.state import State
from conformance.strategies.validation import RequestValidator, Violation, explains

__all__ = [
    "DEFAULT_MODELS",
    "Generator",
    "IdKind",
    "Models",
    "Request",
    "RequestValidator",
    "State",
    "Violation",
    "examples",
    "explains",
    "generator_for",
    "kind_for",
    "requests",
    "validate",
]

Mode = Literal["positive", "negative", "nulls", "nested-nulls"]


def generator_for(spec: Spec | None = None) -> Generator:
    """The `Generator` for a spec (the default spec when None), built once per spec object."""
    spec = spec if spec is not None else load()
    return spec.derived(Generator, lambda: Generator(spec))


def _resolve(operation: Operation | str, spec: Spec | None) -> tuple[Generator, Operation]:
    generator = generator_for(spec)
    return generator, generator.operation(operation)


def requests(
    operation: Operation | str,
    mode: Mode = "positive",
    state: State | None = None,
    spec: Spec | None = None,
) -> st.SearchStrategy[Request]:
    """A strategy of complete requests for `operation` (an `Operation` or an operation id). "nulls" draws
    positive requests with the body properties the spec lets be null set to null (`Request.nulls`),
    "nested-nulls" those inside objects only (their parents kept, or made)."""
    generator, op = _resolve(operation, spec)
    if mode == "positive":
        return generator.positive(op, state)
    if mode == "negative":
        return generator.negative(op, state)
    if mode in ("nulls", "nested-nulls"):
        return generator.nulls(op, state, nested=mode == "nested-nulls")
    raise ValueError(f"mode must be 'positive', 'negative', 'nulls' or 'nested-nulls', not {mode!r}")


def examples(operation: Operation | str, spec: Spec | None = None) -> list[Request]:
    """The operation's x-oaiMeta request examples that validate against its schemas."""
    generator, op = _resolve(operation, spec)
    return generator.examples(op)


def validate(
    operation: Operation | str, request: Request, spec: Spec | None = None, *, id_shapes: bool = True
) -> list[Violation]:
    """The constraints `request` breaks (empty when it fits the operation). `id_shapes=False` accepts
    path ids of any shape (a compatible server with its own id format)."""
    generator, op = _resolve(operation, spec)
    return generator.validator.validate(op, request, id_shapes=id_shapes)
