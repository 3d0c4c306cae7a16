"""Positive request strategies: schemathesis draws the parameters and body, this module makes them real.

Schemathesis (`APIOperation.as_strategy`) already turns an operation's schemas into Hypothesis
strategies. On top of it this adds what the OpenAI API needs to get past its first checks: ids of the
right kind (or of objects that exist, from `State`), model names from the `Models` registry, real
files for multipart uploads, metadata within its limits, and no auth headers (the runner adds those).
Every positive request is validated against the original spec before it is handed out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import schemathesis
from hypothesis import assume
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.generation import GenerationMode
from schemathesis.transport.serialization import Binary

from conformance.errors import SpecError
from conformance.exchange import Request
from conformance.spec import Operation, Spec, schema_properties
from conformance.strategies import files, ids
from conformance.strategies.examples import parse_examples
from conformance.strategies.models import Models
from conformance.strategies.negative import Mutation, mutations
from conformance.strategies.nulls import Path, nullable_paths, with_nulls
from conformance.strategies.paths import concrete_path
from conformance.strategies.schemas import Narrowing, generation_document
from conformance.strategies.state import Entry, State
from conformance.strategies.validation import FORM_TYPES, RequestValidator, explains, is_json

# Never generated: the runner owns authentication and these would only make requests fail auth.
_DROPPED_HEADERS = frozenset({"authorization", "cookie", "openai-organization", "openai-project", "api-key"})
_ID_FIELD_DEPTH = 4
_EXAMPLE_ODDS = st.integers(0, 9)


@dataclass
class Generator:
    """Request strategies for every operation of one spec. Build once per spec and reuse."""

    spec: Spec
    models: Models = field(default_factory=Models)
    narrowing: Narrowing = field(init=False)
    _schema: Any = field(init=False, repr=False)
    _operations: dict[tuple[str, str], Any] = field(init=False, repr=False)
    _validator: RequestValidator | None = field(default=None, init=False, repr=False)
    # (operation id, id of a registry) -> (the registry, kept alive so its id stays unique; names)
    _model_choices: dict[tuple[str, int], tuple[Models, tuple[str, ...]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _model_strategies: dict[tuple[str, ...], st.SearchStrategy[str]] = field(
        default_factory=dict, init=False, repr=False
    )
    _mutations: dict[str, list[Mutation]] = field(default_factory=dict, init=False, repr=False)
    _examples: dict[str, list[Request]] = field(default_factory=dict, init=False, repr=False)
    _nullable: dict[str, list[Path]] = field(default_factory=dict, init=False, repr=False)
    # Diagnostics, not state: positive draws, realistic passes undone, schemathesis draws rejected.
    stats: Counter[str] = field(default_factory=Counter, init=False, repr=False)

    def __post_init__(self) -> None:
        document, self.narrowing = generation_document(self.spec)
        self._schema = schemathesis.openapi.from_dict(document)
        self._operations = {}
        for result in self._schema.get_all_operations():
            try:
                api_operation = result.ok()
            except Exception:  # schemathesis reports an operation it cannot read as an error value
                continue
            self._operations[(api_operation.method.upper(), api_operation.path)] = api_operation

    @property
    def validator(self) -> RequestValidator:
        if self._validator is None:
            self._validator = RequestValidator(self.spec)
        return self._validator

    def operation(self, operation: Operation | str) -> Operation:
        if isinstance(operation, str):
            return self.spec.operation(operation)
        if self.spec.by_id.get(operation.id) is not operation:
            # an operation of another spec would draw from this spec's schemas: values it lacks leak in
            raise SpecError(f"operation {operation.id} is not from spec {self.spec.source.name}")
        return operation

    # -- positive ----------------------------------------------------------------------------

    def positive(self, operation: Operation | str, state: State | None = None) -> st.SearchStrategy[Request]:
        """Requests that fit the operation's schemas, with realistic ids, models and files."""
        op = self.operation(operation)
        api_operation = self._operations.get((op.method, op.path))
        if api_operation is None:
            raise SpecError(f"schemathesis cannot generate {op.id} ({op.method} {op.path})")
        # Path parameters are ours (ids from the state or of the right shape): fixing them in
        # schemathesis spares it drawing values that would be thrown away.
        placeholders = {p.name: "x" for p in op.parameters if p.location == "path"}
        cases = api_operation.as_strategy(
            generation_mode=GenerationMode.POSITIVE, path_parameters=placeholders
        )
        params = self.path_params(op, state)
        # Examples are parsed and validated at the first draw, not here: building stays cheap.
        example_choice = st.deferred(lambda: st.sampled_from(self.examples(op)))

        @st.composite
        def positive_request(draw: Any) -> Request:
            # One draw in ten replays a documented example (Hypothesis shrinks towards them).
            if draw(_EXAMPLE_ODDS) == 0 and self.examples(op):
                return _example(draw, self, op, draw(example_choice), params, state)
            return _positive(draw, self, op, cases, params, state)

        return positive_request()

    def nullable(self, operation: Operation | str) -> list[Path]:
        """The JSON body's property paths whose schema allows null (computed once)."""
        op = self.operation(operation)
        if op.id not in self._nullable:
            self._nullable[op.id] = nullable_paths(self.spec, op)
        return self._nullable[op.id]

    def nulls(
        self, operation: Operation | str, state: State | None = None, nested: bool = False
    ) -> st.SearchStrategy[Request]:
        """Positive requests with every nullable body property set to an explicit null (as many as
        validate together), named in `Request.nulls`; `nested` nulls only the properties inside
        objects, keeping (or making) their parents. Empty (`st.nothing()`) when there is none."""
        op = self.operation(operation)
        paths = [p for p in self.nullable(op) if len(p) > 1] if nested else self.nullable(op)
        if not paths:
            return st.nothing()
        validator = self.validator
        return (
            self.positive(op, state)
            .map(lambda request: with_nulls(validator, op, request, paths, make_parents=nested))
            .filter(lambda request: bool(request.nulls))
        )

    def negative(self, operation: Operation | str, state: State | None = None) -> st.SearchStrategy[Request]:
        """Requests that break exactly one constraint, named in `Request.breaks`. Empty (`st.nothing()`)
        for an operation with nothing to break (no parameters, no body)."""
        op = self.operation(operation)
        candidates = self.mutations(op)
        if not candidates:
            return st.nothing()
        base = self.positive(op, state)
        validator = self.validator
        first = st.integers(0, len(candidates) - 1)

        @st.composite
        def negative_request(draw: Any) -> Request:
            request = draw(base)
            start = draw(first)
            for step in range(len(candidates)):
                mutation = candidates[(start + step) % len(candidates)]
                mutated = mutation.apply(request)
                if mutated is None:
                    continue
                mutated = replace(mutated, mode="negative", breaks=mutation.label)
                if explains(validator.validate(op, mutated), mutation.label):
                    return mutated
            assume(False)
            raise AssertionError("unreachable")

        return negative_request()

    def mutations(self, operation: Operation | str) -> list[Mutation]:
        """The labelled single-constraint mutations of an operation (computed once)."""
        op = self.operation(operation)
        if op.id not in self._mutations:
            self._mutations[op.id] = mutations(self.validator, op)
        return self._mutations[op.id]

    def breakable(self, operation: Operation | str) -> bool:
        """Whether the operation has anything a negative request can break."""
        return bool(self.mutations(operation))

    def examples(self, operation: Operation | str) -> list[Request]:
        """The operation's x-oaiMeta request examples that validate (placeholder models replaced)."""
        op = self.operation(operation)
        if op.id not in self._examples:
            found = []
            for request in parse_examples(op, self.model_names(op) or self.models.names("chat")):
                request = self._binary_as_files(op, request)
                if not self.validator.validate(op, request, id_shapes=False):
                    found.append(request)
            self._examples[op.id] = found
        return list(self._examples[op.id])

    def _binary_as_files(self, op: Operation, request: Request) -> Request:
        """An example's `-F data="..."` names a text part, but a field of `format: binary` is a file part
        (addUploadPart's `data`): send it as a realistic file, as generated requests do."""
        schema = op.request_bodies.get(request.media_type or "")
        if request.media_type not in FORM_TYPES or not isinstance(request.body, dict) or schema is None:
            return request
        props = schema_properties(self.spec.document, schema)
        binary = [
            name
            for name in request.body
            if (self.spec.resolve(props.get(name)) or {}).get("format") == "binary"
        ]
        if not binary:
            return request
        uploads = dict(request.files or {})
        for name in binary:
            uploads[name] = files.file_for(op.path, name, request.body.get("purpose"))
        body = {k: v for k, v in request.body.items() if k not in binary}
        return replace(request, body=body, files=uploads)

    def path_params(self, op: Operation, state: State | None) -> st.SearchStrategy[dict[str, str]]:
        """Path parameter values: ids of objects in `state` (consistent with their parents), else ids
        of the right shape."""
        names = [p.name for p in op.parameters if p.location == "path"]

        @st.composite
        def path_params(draw: Any) -> dict[str, str]:
            return _path_params(draw, self, op, names, state)

        return path_params()

    def model_names(self, op: Operation, state: State | None = None) -> tuple[str, ...]:
        """Registry models the operation's `model` field accepts, best first (validated, not guessed)."""
        registry = state.models if state is not None and state.models is not None else self.models
        key = (op.id, id(registry))
        if key not in self._model_choices:
            self._model_choices[key] = (registry, _acceptable_models(self, op, registry))
        return self._model_choices[key][1]

    def model_strategy(self, op: Operation, state: State | None = None) -> st.SearchStrategy[str] | None:
        names = self.model_names(op, state)
        if not names:
            return None
        strategy = self._model_strategies.get(names)
        if strategy is None:
            strategy = self._model_strategies[names] = st.sampled_from(names)
        return strategy

    def finish(self, op: Operation, case: Any, path_params: dict[str, str]) -> Request:
        """A schemathesis `Case` as a `Request`, before the realistic-value pass."""
        query: dict[str, Any] = {}
        for name, value in (case.query or {}).items():
            if isinstance(value, dict):
                for key, inner in value.items():
                    query[f"{name}[{key}]"] = inner
            else:
                query[name] = value
        for name, value in op.extra_query.items():
            query.setdefault(name, value)
        headers = {
            str(k): str(v) for k, v in (case.headers or {}).items() if str(k).lower() not in _DROPPED_HEADERS
        }
        body: Any = None if isinstance(case.body, NotSet) else case.body
        media_type = case.media_type if body is not None else None
        request_files = None
        content = None
        if media_type in FORM_TYPES and isinstance(body, dict):
            body, request_files = _split_files(op, body)
            # A form cannot carry null, an empty list, or a field name outside `FORM_NAME_CHARACTERS`:
            # such a field is simply not sent, so judge the request without it.
            body = {
                name: value
                for name, value in body.items()
                if value is not None and value != [] and form_name(name)
            }
        elif is_json(media_type or ""):
            body = _plain(body)
        elif body is not None and media_type is not None:
            content = body if isinstance(body, bytes) else str(body).encode()
            body = None
        return Request(
            method=op.method,
            path=concrete_path(op.path, path_params),
            operation_id=op.id,
            path_template=op.path,
            path_params=dict(path_params),
            query=query,
            headers=headers,
            body=body,
            files=request_files,
            content=content,
            media_type=media_type,
        )


# A form field name goes in the quoted `name` parameter of a part's Content-Disposition (RFC 7578 §4.2;
# RFC 2183 / RFC 2045 quoted-string): US-ASCII (§5.1: part headers are 7-bit, non-ASCII names have no
# agreed encoding), no control characters (CR/LF end the header) and no `"` or `\` (they need quoting;
# httpx and the WHATWG encoding percent-encode `"`), so no `%` either: a receiver cannot tell it from
# that encoding. Legal in a quoted-string but split on by parsers that read the header naively (Prism
# 5's parse-multipart-data throws on a `;`, cuts the name at a `=`): `;` and `=`. No `[` or `]`: the
# SDK's `name[]` marks an array, and receivers in the qs/PHP/Rails style read `a[b]` as nesting. A space
# only inside the name (parsers trim).
FORM_NAME_CHARACTERS = frozenset(chr(c) for c in range(0x20, 0x7F)) - frozenset('"\\%;=[]')


def form_name(name: str) -> bool:
    """Whether `name` can be sent as a form field name that every receiver reads back unchanged."""
    return bool(name) and name == name.strip(" ") and set(name) <= FORM_NAME_CHARACTERS


def _plain(value: Any) -> Any:
    """JSON data without schemathesis' `Binary` strings (jsonschema_rs rejects str subclasses)."""
    if isinstance(value, Binary):
        return str.__str__(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _split_files(op: Operation, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, files.File] | None]:
    fields: dict[str, Any] = {}
    uploads: dict[str, files.File] = {}
    for name, value in body.items():
        if isinstance(value, list) and value and all(isinstance(v, (bytes, Binary)) for v in value):
            value = value[0]  # one part per field; every multi-file field also takes a single file
        if isinstance(value, (bytes, Binary)):
            uploads[name] = files.file_for(op.path, name, body.get("purpose"))
        else:
            fields[name] = _plain(value)
    return fields, uploads or None


def _positive(
    draw: Any, gen: Generator, op: Operation, cases: Any, params: Any, state: State | None
) -> Request:
    case = draw(cases)
    request = gen.finish(op, case, draw(params))
    realistic = _realistic(draw, gen, op, request, state)
    validator = gen.validator
    gen.stats["drawn"] += 1
    if not validator.validate(op, realistic, id_shapes=False):
        return realistic
    # The realistic pass broke something the schema constrains (a field with its own pattern): fall
    # back to schemathesis' values for the body.
    gen.stats["fallback"] += 1
    fallback = replace(request, path=realistic.path, path_params=realistic.path_params)
    if validator.validate(op, fallback, id_shapes=False):
        gen.stats["rejected"] += 1  # schemathesis drew a body the spec rejects: never hand it out
        assume(False)
    return fallback


def _example(
    draw: Any, gen: Generator, op: Operation, example: Request, params: Any, state: State | None
) -> Request:
    """A documented example with the docs' placeholder ids (`thread_abc123`) swapped for ids from
    the state, or of the right shape."""
    request = replace(example)
    if example.path_params:
        path_params = draw(params)
        request = replace(request, path_params=path_params, path=concrete_path(op.path, path_params))
    if isinstance(example.body, dict):
        body = _fill_ids(draw, op, example.body, state, 0)
        choices = gen.model_strategy(op, state) if state is not None and state.models is not None else None
        if isinstance(body.get("model"), str) and choices is not None:
            body["model"] = draw(choices)  # the target's own models, not the docs' ones
        filled = replace(request, body=body)
        if not gen.validator.validate(op, filled, id_shapes=False):
            return filled
    return request


def _realistic(draw: Any, gen: Generator, op: Operation, request: Request, state: State | None) -> Request:
    body = request.body
    if isinstance(body, dict):
        body = dict(body)
        if isinstance(body.get("model"), str):
            choices = gen.model_strategy(op, state)
            if choices is not None:
                body["model"] = draw(choices)
        body = _fill_ids(draw, op, body, state, 0)
    query = _fill_ids(draw, op, request.query, state, _ID_FIELD_DEPTH) if request.query else request.query
    return replace(request, body=body, query=query)


def _fill_ids(draw: Any, op: Operation, node: Any, state: State | None, depth: int) -> Any:
    """Replace string values of id fields (`assistant_id`, `file_ids`, …) with real-looking ids."""
    if depth > _ID_FIELD_DEPTH:
        return node
    if isinstance(node, list):
        return [_fill_ids(draw, op, item, state, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        kind = ids.kind_for(key, op.path) if key.endswith("_id") else None
        list_kind = ids.list_field_kind(key, op.path)
        if kind is not None and isinstance(value, str):
            out[key] = draw(_id_values(kind, key, state))
        elif list_kind is not None and isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = [draw(_id_values(list_kind, key, state)) for _ in value]
        else:
            out[key] = _fill_ids(draw, op, value, state, depth + 1)
    return out


def _id_values(kind: ids.IdKind, name: str, state: State | None) -> st.SearchStrategy[str]:
    known = state.entries_for(kind, name) if state is not None else ()
    if known:
        return st.sampled_from([e.id for e in known])
    return ids.fake_ids(kind)


def _path_params(
    draw: Any, gen: Generator, op: Operation, names: list[str], state: State | None
) -> dict[str, str]:
    chosen: dict[str, str] = {}
    kinds = {name: ids.kind_for(name, op.path) for name in names}
    for name in reversed(names):  # the innermost object first: its parents fix the outer ids
        if name in chosen:
            continue
        entries = state.entries_for(kinds[name], name) if state is not None else ()
        entries = tuple(e for e in entries if _consistent(e, chosen, kinds))
        if entries:
            entry = draw(st.sampled_from(entries))
            chosen[name] = entry.id
            for other in names:
                other_kind = kinds[other]
                key = other_kind.kind if other_kind else other
                if other not in chosen and key in entry.parents:
                    chosen[other] = entry.parents[key]
        else:
            chosen[name] = draw(_fresh_path_value(gen, op, name, kinds[name], state))
    return {name: chosen[name] for name in names}


def _consistent(entry: Entry, chosen: dict[str, str], kinds: dict[str, ids.IdKind | None]) -> bool:
    for name, value in chosen.items():
        kind = kinds[name]
        key = kind.kind if kind else name
        if key in entry.parents and entry.parents[key] != value:
            return False
    return True


def _fresh_path_value(
    gen: Generator, op: Operation, name: str, kind: ids.IdKind | None, state: State | None
) -> st.SearchStrategy[str]:
    if kind is not None:
        return ids.fake_ids(kind)
    if name == "model":
        strategy = gen.model_strategy(op, state)
        return strategy if strategy is not None else st.sampled_from(gen.models.names("chat"))
    if name == "fine_tuned_model_checkpoint":
        return ids.fake_ids(ids.IdKind("checkpoint", "ft:gpt-4o-mini-2024-07-18:org::")).map(lambda s: s[:40])
    return ids.plain_ids()


def _acceptable_models(gen: Generator, op: Operation, registry: Models) -> tuple[str, ...]:
    names = registry.for_path(op.path)
    schemas = []
    for schema in op.request_bodies.values():
        prop = schema_properties(gen.spec.document, schema).get("model")
        if prop is not None:
            schemas.append(prop)
    if not schemas:
        return names
    validator = gen.validator
    return tuple(n for n in names if all(validator.is_valid(s, n) for s in schemas))
