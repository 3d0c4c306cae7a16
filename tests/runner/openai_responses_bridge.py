"""openai-responses 0.13.1 (a stateful mock of the API for respx) served over HTTP, so the suite can run
against it by URL: `python openai_responses_bridge.py PORT` listens on 127.0.0.1:PORT until terminated.

It runs under the python of the environment `.ci/run` builds for it (.ci/third-party/openai-responses):
openai-responses pins openai<3, which must not hold back the SDK of the project's own environment. So
this module imports nothing of the project, and the test starts it as a subprocess."""

from __future__ import annotations

import sys

import httpx
import openai_responses
import respx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

DROPPED = ("content-length", "content-encoding", "transfer-encoding")
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


def bridge(mock: openai_responses.OpenAIMock) -> Starlette:
    """Each HTTP request goes to the mock's respx router as the SDK's request would. A route the mock
    lacks answers a plain 404 and a crash of the mock a plain 500, as any web framework would."""

    async def handle(request: Request) -> Response:
        url = "https://api.openai.com/" + request.path_params["path"]
        if request.url.query:
            url += "?" + request.url.query
        headers = [(k, v) for k, v in request.headers.items() if k not in ("host", "content-length")]
        outgoing = httpx.Request(request.method, url, headers=headers, content=await request.body())
        try:
            answer = mock.router.handler(outgoing)
        except respx.models.AllMockedAssertionError:
            return PlainTextResponse("Not Found", status_code=404)
        except Exception:  # the mock validates nothing: bad input raises inside it
            return PlainTextResponse("Internal Server Error", status_code=500)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in DROPPED}
        return Response(answer.read(), status_code=answer.status_code, headers=headers)

    return Starlette(routes=[Route("/{path:path}", handle, methods=METHODS)])


def main(argv: list[str]) -> None:
    if len(argv) != 1 or not argv[0].isdigit():
        sys.exit("usage: openai_responses_bridge.py PORT")
    uvicorn.run(
        bridge(openai_responses.OpenAIMock()), host="127.0.0.1", port=int(argv[0]), log_level="warning"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
