"""The emulator's ASGI app: route → authenticate → rate-limit → validate → handler → real API → headers.

Everything that is the same for every operation happens here, so handlers only hold semantics.
Every answer, errors included, carries `x-request-id`, `openai-processing-ms`, `openai-version`
and the `x-ratelimit-*` headers. Any exception a handler lets escape becomes a 500 envelope, so
a client never sees a dropped connection or a hang.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from conformance.emulator import (
    aliases,
    endpoints,  # noqa: F401  (registers the handlers)
    real_api,
    registry,
)
from conformance.emulator.context import Context
from conformance.emulator.errors import ApiError
from conformance.emulator.ratelimit import RateLimiter
from conformance.emulator.selfcheck import ASSISTANT_STREAMS, check_response, checked_stream
from conformance.emulator.settings import Settings
from conformance.emulator.store import Store
from conformance.emulator.validation import validate_request
from conformance.spec import Router, Spec, load

log = logging.getLogger("conformance.emulator")


def create_app(spec: Spec | None = None, faults: Iterable[str] = (), **settings: Any) -> Starlette:
    """The emulator as a Starlette app serving under `/v1`; keywords are `Settings` fields.

    `faults` names entries of `conformance.emulator.faults.FAULTS` to break on purpose.
    """
    spec = spec or load()
    config = Settings(**settings)
    store = Store(config.state_file)
    emulator = Emulator(spec, config, store, spec.router)
    # The emulator answers every path itself (404/405 included), so it is the router's default
    # app rather than a route: a route's pattern would miss paths holding a newline.
    app = Starlette(lifespan=_closing(store))
    app.router.default = emulator
    app.state.emulator = emulator
    app.state.spec = spec
    app.state.store = store
    app.state.settings = config
    app.state.self_check = emulator.problems
    if faults:
        from conformance.emulator.faults import install

        install(app, faults)
    return app


class Emulator:
    def __init__(self, spec: Spec, settings: Settings, store: Store, router: Router) -> None:
        self.spec = spec
        self.settings = settings
        self.store = store
        self.router = router
        self.validators = spec.validators
        self.limiter = RateLimiter(settings.rate_limit, time.monotonic)
        self.problems: list[str] = []  # self-check findings, when `settings.self_check`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.dispatch(Request(scope, receive))
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        started = time.perf_counter()
        headers = {"x-request-id": "req_" + secrets.token_hex(16), "openai-version": "2020-10-01"}
        operation, body = None, None
        try:
            response, operation, body = await self._answer(request, headers)
        except ApiError as exc:
            response = _error_response(exc)
        except Exception:  # a bug must still answer with the envelope, never drop the connection
            log.exception("emulator: unhandled error on %s %s", request.method, request.url.path)
            response = _error_response(
                ApiError(500, "The server had an error while processing your request.", type="server_error")
            )
        if "x-ratelimit-limit-requests" not in headers:
            headers.update(self.limiter.peek())
        headers["openai-processing-ms"] = str(max(0, round((time.perf_counter() - started) * 1000)))
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if self.settings.self_check and operation is not None:
            self._self_check(operation, response)  # the spec-literal answer, before real_api's changes
        if operation is not None:
            response = self._like_the_real_api(operation, body, response)
        return response

    async def _answer(self, request: Request, headers: dict[str, str]) -> tuple[Response, Any, Any]:
        base = self.settings.base_path
        path = request.url.path
        if base and not (path == base or path.startswith(base + "/")):
            raise ApiError(404, f"Invalid URL ({request.method} {path})", code="unknown_url")
        operation, path_params, allowed = self.router.match(
            request.method, path[len(base) :], request.query_params
        )
        if operation is None:
            if allowed:
                exc = ApiError(
                    405,
                    f"Invalid method for URL ({request.method} {path})",
                    code="method_not_allowed",
                )
                exc.headers["allow"] = ", ".join(allowed)
                raise exc
            raise ApiError(404, f"Invalid URL ({request.method} {path})", code="unknown_url")
        self._authenticate(request)
        allowed_now, limit_headers = self.limiter.acquire()
        headers.update(limit_headers)
        if not allowed_now:
            raise ApiError(
                429,
                f"Rate limit reached for requests: limit {self.settings.rate_limit:g} per second. "
                f"Please try again in {limit_headers['retry-after']}s.",
                type="requests",
                code="rate_limit_exceeded",
                headers={"retry-after": limit_headers["retry-after"]},
            )
        parsed = await validate_request(
            self.validators, operation, request, path_params, self.settings.max_file_bytes
        )
        ctx = Context(
            request,
            operation,
            self.spec,
            self.store,
            self.settings,
            path_params=path_params,
            query=parsed.query,
            body=parsed.body,
            files=parsed.files,
        )
        handler = registry.lookup(operation.id)
        if handler is None:
            official = aliases.official_id(self.spec, operation)
            aliased = official and registry.lookup(official)
            if aliased:
                return aliases.conform(self.spec, operation, await aliased(ctx)), operation, ctx.body
            handler = registry.default_handler()
        return await handler(ctx), operation, ctx.body

    def _like_the_real_api(self, operation: Any, request: Any, response: Response) -> Response:
        """The answer as the real API sends it (`real_api`), unless the emulator is spec-literal."""
        if self.settings.spec_literal or not 200 <= response.status_code < 300:
            return response
        media_type = (response.headers.get("content-type") or "").split(";")[0].strip()
        if isinstance(response, StreamingResponse):
            if media_type == "text/event-stream":
                response.body_iterator = real_api.shape_stream(
                    self.spec, operation, request, response.body_iterator
                )
            return response
        if media_type != "application/json" or not response.body:
            return response
        try:
            body = json.loads(response.body)
        except ValueError:
            return response
        if not real_api.shape_body(self.spec, operation, response.status_code, request, body):
            return response
        response.body = json.dumps(body, separators=(",", ":")).encode("ascii")
        response.headers["content-length"] = str(len(response.body))
        return response

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip() if scheme.lower() == "bearer" else ""
        for name in self.spec.api_key_headers:  # Azure OpenAI's `api-key`, when the spec declares it
            key = key or request.headers.get(name, "").strip()
        if not key:
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code=None,
            )
        if self.settings.api_keys and key not in self.settings.api_keys:
            shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 10 else "*****"
            raise ApiError(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")

    def _self_check(self, operation: Any, response: Response) -> None:
        media_type = (response.headers.get("content-type") or "").split(";")[0].strip() or None
        body = getattr(response, "body", None)
        if body is None:
            if isinstance(response, StreamingResponse) and operation.id in ASSISTANT_STREAMS:
                response.body_iterator = checked_stream(
                    self.validators, response.body_iterator, self.problems
                )
            return
        self.problems.extend(
            check_response(self.validators, operation, response.status_code, media_type, body)
        )


def _closing(store: Store) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            store.close()

    return lifespan


def _error_response(exc: ApiError) -> Response:
    content = json.dumps(exc.envelope(), separators=(",", ":")).encode()
    return Response(content, status_code=exc.status, headers=exc.headers, media_type="application/json")
