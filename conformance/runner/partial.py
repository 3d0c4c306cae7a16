"""Partial servers: tell "this operation is not implemented" apart from a real answer.

A server that implements part of the API answers the rest with 404/405/501. Such an operation is
reported once as not implemented instead of as a crash or a flood of violations.
"""

from __future__ import annotations

from conformance.exchange import Response
from conformance.spec import Operation

NOT_IMPLEMENTED = (405, 501)
# What the real API and common frameworks say for a route they do not have.
NO_ROUTE_MESSAGES = ("invalid url", "unknown url", "no route", "not implemented", "unrecognized request url")


def looks_unrouted(response: Response, operation: Operation) -> bool:
    """True when a valid request's response says the route itself is missing.

    A 404 with the API's error envelope is a real answer ("No assistant found with id ...") unless its
    message is the one for an unknown URL; a 404 without the envelope is a framework's "Not Found".
    """
    if response.status in NOT_IMPLEMENTED:
        return True
    if response.status != 404:
        return False
    body = response.json() if response.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return True
    message = str(error.get("message") or "").lower()
    return any(text in message for text in NO_ROUTE_MESSAGES)
