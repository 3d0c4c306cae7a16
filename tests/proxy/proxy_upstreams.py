"""Small upstreams for the proxy tests: one that answers like the API, one that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CREATED = 1_700_000_000


def _headers() -> dict[str, str]:
    return {"x-request-id": "req_" + "0" * 24}


def model(model_id: str = "gpt-4o-mini") -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": "openai"}


def completion(content: str = "Hello!") -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": CREATED,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-abc123",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return f"data: {json.dumps(data)}\n\n".encode()


class GoodUpstream:
    """Answers a few operations the way the spec says; remembers what it received.

    `hold` (a threading.Event), when given, makes a stream wait after its first event until the
    test sets it: proof that the proxy passed the first event on before the stream ended.
    """

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.hold = hold
        self.received: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[
                Route("/v1/models", self.list_models),
                Route("/v1/models/{model}", self.get_model),
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/files", self.upload, methods=["POST"]),
                Route("/health", self.health),
            ]
        )

    async def _remember(self, request: Request) -> None:
        self.received.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": list(request.headers.raw),
                "body": await request.body(),
            }
        )

    async def list_models(self, request: Request) -> Response:
        await self._remember(request)
        body = {"object": "list", "data": [model("gpt-4o-mini"), model("gpt-4o")]}
        return JSONResponse(body, headers=_headers())

    async def get_model(self, request: Request) -> Response:
        await self._remember(request)
        return JSONResponse(model(request.path_params["model"]), headers=_headers())

    async def health(self, request: Request) -> Response:
        await self._remember(request)
        return Response("ok", media_type="text/plain")

    async def chat(self, request: Request) -> Response:
        await self._remember(request)
        body = json.loads(await request.body())
        if not body.get("stream"):
            return JSONResponse(completion(), headers=_headers())
        return StreamingResponse(self._events(), media_type="text/event-stream", headers=_headers())

    async def _events(self) -> Any:
        yield chunk({"role": "assistant", "content": ""})
        if self.hold is not None:
            hold = self.hold
            released = await asyncio.to_thread(hold.wait, 10)
            if not released:
                return  # the test never saw the first event: end the stream short
        for word in ("Hel", "lo", "!"):
            yield chunk({"content": word})
        yield chunk({}, finish="stop")
        yield b"data: [DONE]\n\n"

    async def upload(self, request: Request) -> Response:
        await self._remember(request)
        form = await request.form()
        upload = form["file"]
        data = await upload.read()  # type: ignore[union-attr]
        body = {
            "id": "file-abc123",
            "object": "file",
            "bytes": len(data),
            "created_at": CREATED,
            "filename": upload.filename,  # type: ignore[union-attr]
            "purpose": form["purpose"],
            "status": "processed",
        }
        return JSONResponse(body, headers=_headers())


class BadUpstream:
    """Breaks the contract in the ways the proxy must survive and report."""

    def __init__(self, slow_seconds: float = 5.0) -> None:
        self.slow_seconds = slow_seconds
        self.app = Starlette(
            routes=[
                Route("/v1/models", self.list_models),  # a schema violation: owned_by missing
                Route("/v1/models/{model}", self.invalid_json),  # a body that is not JSON
                Route("/v1/files", self.slow),  # no response head in time
                Route("/v1/chat/completions", self.endless, methods=["POST"]),  # a stream that never ends
                Route("/v1/completions", self.stalled, methods=["POST"]),  # a stream that goes silent
            ]
        )

    async def list_models(self, request: Request) -> Response:
        body = {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "created": CREATED}]}
        return JSONResponse(body, headers=_headers())

    async def invalid_json(self, request: Request) -> Response:
        return Response(b'{"id": "gpt-4o", "object": ', media_type="application/json", headers=_headers())

    async def slow(self, request: Request) -> Response:
        await asyncio.sleep(self.slow_seconds)
        return JSONResponse({"object": "list", "data": [], "has_more": False}, headers=_headers())

    async def endless(self, request: Request) -> Response:
        async def events() -> Any:
            yield chunk({"role": "assistant", "content": ""})
            started = time.monotonic()
            while time.monotonic() - started < 30:  # a bound, so a broken test cannot hang forever
                await asyncio.sleep(0.05)
                yield b": keep-alive\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers=_headers())

    async def stalled(self, request: Request) -> Response:
        async def events() -> Any:
            yield b'data: {"id": "cmpl-1"}\n\n'
            await asyncio.sleep(30)

        return StreamingResponse(events(), media_type="text/event-stream", headers=_headers())
