"""The OpenAI error envelope and the exception handlers raise to produce it.

{"error": {"message": ..., "type": "invalid_request_error", "param": null, "code": null}}
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised anywhere while answering a request; the app renders it as the error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        return envelope(self.message, self.type, self.param, self.code)


def envelope(
    message: str, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
