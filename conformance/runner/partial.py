"""Partial servers: tell "this operation is not implemented" apart from a real answer, on evidence.

A server that implements part of the API answers the rest with 404/405/501, whatever its body says: an
OpenAI-style envelope, FastAPI's `{"detail": "Not Found"}`, Express's "Cannot GET", a mock's "No fixture
matched". Such an operation is reported once as not implemented instead of as passed (a 404 envelope
looks like a real answer) or as a flood of violations. The evidence, per answer (`Routes.missing`):

- 405 and 501 mean the route is missing, unless the same operation answered otherwise before.
- A 404 whose error message quotes an id the request sent ("No assistant found with id 'asst_1'") is
  a real answer: the route looked the object up.
- Else a 404 for a path without ids (a collection, a create) cannot be about an unknown object: missing.
- A 404 for an object that exists (found by listing) is missing; for an object the run created
  itself it is a real answer (implemented and wrong), unless the body is a framework's "no such route".
- A 404 for an unknown id is missing unless the family shows it exists: the same operation or the
  collection above answered, or a parent object was created. Then only a framework body says missing
  (an empty 404 for an unknown run step is a real, if bare, answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from conformance.exchange import Exchange, Response
from conformance.runner.resources import Resources, match_path, params_of
from conformance.spec import Operation

NOT_IMPLEMENTED = (405, 501)
MISSING_STATUSES = (404, 405, 501)
# What the real API and common frameworks say for a route they do not have.
NO_ROUTE_MESSAGES = (
    "invalid url",
    "unknown url",
    "no route",
    "not implemented",
    "unrecognized request url",
    "no fixture matched",
    "cannot get",
    "cannot post",
    "cannot delete",
)

# A message that is only the HTTP reason phrase comes from the framework's router, not from a lookup
# (the API names what it did not find: "No response found with id 'resp_1'.").
REASON_PHRASES = ("not found", "method not allowed", "not implemented")


def looks_unrouted(response: Response, operation: Operation | None = None) -> bool:
    """True when the body itself says the route is missing (the evidence-free reading).

    405/501 always; a 404 whose body is not the API's error envelope (a framework's "Not Found"), or
    whose envelope message is one for an unknown URL or a bare reason phrase ("Not Found"). An empty 404 says nothing either way: False.
    """
    if response.status in NOT_IMPLEMENTED:
        return True
    if response.status != 404 or not response.content.strip():
        return False
    body = response.json() if response.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return True
    message = str(error.get("message") or "").lower()
    if message.strip().rstrip(".") in REASON_PHRASES:  # a framework's "Not Found", put in an envelope
        return True
    return any(text in message for text in NO_ROUTE_MESSAGES)


def names_what_was_sent(exchange: Exchange, operation: Operation) -> bool:
    """The error message quotes an id the request sent (in the path or the body): the route exists."""
    body = exchange.response.json() if exchange.response.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    message = str(error.get("message") or "") if isinstance(error, dict) else ""
    if not message:
        return False
    ids = match_path(operation.path, exchange.request.path) or {}
    sent = [unquote(str(v)) for v in ids.values()] + [str(v) for v in exchange.request.path_params.values()]
    sent += list(_strings(exchange.request.body))
    return any(_quoted(value, message) for value in sent if value)


def _quoted(value: str, message: str) -> bool:
    if len(value) >= 4:
        return value in message
    return f"'{value}'" in message or f'"{value}"' in message or message.rstrip(".").endswith(f" {value}")


def _strings(value: object, depth: int = 0) -> list[str]:
    if isinstance(value, str):
        return [value]
    if depth > 4:
        return []
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item, depth + 1)]
    if isinstance(value, list):
        return [s for item in value[:20] for s in _strings(item, depth + 1)]
    return []


@dataclass
class Routes:
    """What the target showed about its routes so far in this process: the operations that answered."""

    answered: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # answered only 404/405/501 so far

    def note(self, operation: Operation) -> None:
        self.answered.add(operation.id)

    def tried(self, operation: Operation) -> bool:
        """The operation was sent and answered only as a missing route."""
        return operation.id in self.refused and operation.id not in self.answered

    def missing(self, exchange: Exchange, operation: Operation, resources: Resources) -> bool:
        """Whether this answer to a well-formed request says the operation is not implemented."""
        response = exchange.response
        if response.status < 100:
            return False
        if response.status not in MISSING_STATUSES or operation.id in self.answered:
            if response.status not in MISSING_STATUSES:
                self.note(operation)
            return False
        verdict = self._missing(exchange, operation, resources)
        if verdict:
            self.refused.add(operation.id)
        else:
            self.note(operation)
        return verdict

    def _missing(self, exchange: Exchange, operation: Operation, resources: Resources) -> bool:
        response = exchange.response
        if response.status in NOT_IMPLEMENTED:
            return True
        if not looks_unrouted(response) and names_what_was_sent(exchange, operation):
            return False  # "No assistant found with id 'asst_1'": the route looked the object up
        names = params_of(operation.path)
        if not names:
            return True
        params = match_path(operation.path, exchange.request.path) or {}
        live = [obj for obj in resources.live() if obj.stored]
        own = {obj.id for obj in live if not obj.borrowed}
        values = [str(params.get(name, "")) for name in names]
        breaks = str(exchange.request.breaks or "")
        if not any(name in breaks for name in names):  # a negative request may name an id that is not
            if all(v in own for v in values):
                return looks_unrouted(response)
            if all(v in {obj.id for obj in live} for v in values):
                return True  # an object that exists, and the route refuses it
        if self._family_answers(operation, resources) or any(v in own for v in values[:-1]):
            return looks_unrouted(response)
        return True

    def _family_answers(self, operation: Operation, resources: Resources) -> bool:
        """The collection above the operation's object (its create or list) answered in this run."""
        names = params_of(operation.path)
        segments = operation.path.split("/")
        item = "/".join(segments[: segments.index("{" + names[-1] + "}") + 1])
        family = [resources.creators.get(item), resources.listers.get(item)]
        return any(op is not None and op.id in self.answered for op in family)
