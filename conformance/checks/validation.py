"""Schema errors as the checks report them: where, why, and the one branch of a union that matters.

The validators themselves belong to the spec (`spec.validators`); this module only explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from conformance.checks.model import excerpt, json_path
from conformance.spec import Spec
from conformance.spec.validators import BASE_URI

MESSAGE_CHARS = 240


@dataclass(frozen=True)
class SchemaError:
    """One reason an instance does not match: where, why, and what was there."""

    path: str  # JSON path into the instance
    message: str
    schema_path: str
    instance: Any


def errors_of(validator: jsonschema_rs.Validator, instance: Any, limit: int = 20) -> list[SchemaError]:
    """The reasons, most specific first: a failed tagged union reports the errors of its one branch."""
    if validator.is_valid(instance):
        return []
    out = []
    for error in validator.iter_errors(instance):
        for leaf in _refine(error, 0):
            message = " ".join(str(leaf.message).split())
            if len(message) > MESSAGE_CHARS:
                message = message[: MESSAGE_CHARS - 1] + "…"
            out.append(
                SchemaError(
                    path=json_path(leaf.instance_path),
                    message=message,
                    schema_path=_schema_location(leaf),
                    instance=leaf.instance,
                )
            )
            if len(out) >= limit:
                return out
    return out


TAGS = ("type", "object", "role", "event")  # properties that select a branch of a union


def _refine(error: Any, depth: int) -> list[Any]:
    """For oneOf/anyOf failures, the errors of the branch whose tag (`type`, `object`, ...) matched.

    "X is not valid under any of the given schemas" tells a user nothing; the branch whose
    discriminating constant fits says which field is actually wrong.
    """
    kind = error.kind
    context = getattr(kind, "context", None)
    if depth > 8 or type(kind).__name__ not in ("OneOfNotValid", "AnyOf") or not context:
        return [error]
    base = len(error.instance_path)

    def tag_mismatch(branch: list[Any]) -> bool:
        return any(
            len(e.instance_path) == base + 1
            and e.instance_path[-1] in TAGS
            and type(e.kind).__name__ in ("Enum", "Constant")
            for e in branch
        )

    candidates = [branch for branch in context if branch and not tag_mismatch(branch)]
    if len(candidates) != 1 or len(candidates) == len(context):
        return [error]
    return [leaf for e in candidates[0] for leaf in _refine(e, depth + 1)]


def _schema_location(error: Any) -> str:
    location = str(getattr(error, "absolute_keyword_location", "") or "")
    if location.startswith(BASE_URI + "#"):
        return location[len(BASE_URI) + 1 :]
    return "/".join(str(p) for p in error.schema_path)


def validate(spec: Spec, node: Any, instance: Any, limit: int = 20) -> list[SchemaError]:
    """Validate `instance` against any schema node of `spec` (e.g. `{"$ref": "#/components/schemas/X"}`)."""
    return errors_of(spec.validators.compile(node), instance, limit)


__all__ = ["SchemaError", "errors_of", "excerpt", "validate"]
