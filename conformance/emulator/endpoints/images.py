"""Images: generations, edits and variations answer tiny valid images (`media.image`).

`response_format: b64_json` (and every gpt-image model) inlines the bytes; `url` stores the image as
a file (purpose `vision`) and answers its content URL on this emulator. `stream: true` (gpt-image)
sends `partial_images` partial events and one completed event.
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.responses import Response, StreamingResponse

from conformance.emulator import media, textgen
from conformance.emulator.context import Context
from conformance.emulator.endpoints.files import create_file
from conformance.emulator.registry import handles
from conformance.emulator.synth import synthesizer

SIZES = {"auto": "1024x1024"}


def _fields(ctx: Context) -> dict[str, Any]:
    return ctx.body if isinstance(ctx.body, dict) else {}


def _usage(prompt: Any) -> dict[str, Any]:
    tokens = textgen.count(prompt)
    return {
        "input_tokens": tokens,
        "output_tokens": 272,
        "total_tokens": tokens + 272,
        "input_tokens_details": {"text_tokens": tokens, "image_tokens": 0},
    }


def _image(ctx: Context, body: dict[str, Any], data: bytes, fmt: str) -> dict[str, Any]:
    model = str(body.get("model") or "dall-e-2")
    wants_url = body.get("response_format") == "url" and not model.startswith("gpt-image")
    entry: dict[str, Any] = {}
    if wants_url:
        file = create_file(ctx, f"image.{fmt}", data, "vision")
        base = str(ctx.request.base_url).rstrip("/") + ctx.settings.base_path
        entry["url"] = f"{base}/files/{file['id']}/content"
    else:
        entry["b64_json"] = base64.b64encode(data).decode()
    if model == "dall-e-3" and body.get("prompt"):
        entry["revised_prompt"] = str(body["prompt"])
    return entry


async def _answer(ctx: Context) -> Response:
    body = _fields(ctx)
    fmt = str(body.get("output_format") or "png")
    data = media.image(fmt)
    n = int(body.get("n") or 1)
    images = [_image(ctx, body, data, fmt) for _ in range(n)]
    answer: dict[str, Any] = {"created": ctx.now(), "data": images}
    if str(body.get("model") or "").startswith("gpt-image"):
        answer.update(
            background=body.get("background")
            if body.get("background") in ("transparent", "opaque")
            else "opaque",
            output_format=fmt,
            quality=body.get("quality") if body.get("quality") in ("low", "medium", "high") else "medium",
            size=SIZES.get(str(body.get("size") or "auto"), str(body.get("size") or "1024x1024")),
            usage=_usage(body.get("prompt")),
        )
    if body.get("stream") in (True, "true") and ctx.operation.streams:
        return StreamingResponse(_events(ctx, body, answer, data), media_type="text/event-stream")
    schema = ctx.operation.responses["200"].content["application/json"]
    return ctx.json(synthesizer(ctx.spec).value(schema, answer, seed=ctx.operation.id, now=ctx.now()))


def _events(ctx: Context, body: dict[str, Any], answer: dict[str, Any], data: bytes) -> Any:
    schema = ctx.operation.responses["200"].content["text/event-stream"]
    synth = synthesizer(ctx.spec)
    kind = "image_edit" if ctx.operation.id == "createImageEdit" else "image_generation"
    common = {
        "b64_json": base64.b64encode(data).decode(),
        "created_at": answer["created"],
        "size": answer.get("size", "1024x1024"),
        "quality": answer.get("quality", "medium"),
        "background": answer.get("background", "opaque"),
        "output_format": answer.get("output_format", "png"),
    }
    for index in range(int(body.get("partial_images") or 0)):
        event = {"type": f"{kind}.partial_image", "partial_image_index": index, **common}
        yield textgen.sse(synth.value(schema, event, seed=str(index)), event=event["type"])
    done = {"type": f"{kind}.completed", **common, "usage": answer.get("usage") or _usage(body.get("prompt"))}
    yield textgen.sse(synth.value(schema, done, seed="done"), event=done["type"])


@handles("createImage", "createImageEdit", "createImageVariation")
async def create_image(ctx: Context) -> Response:
    body = _fields(ctx)
    if ctx.operation.id != "createImageVariation" and body.get("prompt") == "":
        # the spec sets no minLength; the API refuses an empty prompt all the same
        ctx.error(
            400,
            "Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty "
            "string instead.",
            param="prompt",
            code="empty_string",
        )
    if ctx.operation.id != "createImageVariation" and not body.get("prompt"):
        ctx.error(
            400, "Missing required parameter: 'prompt'.", param="prompt", code="missing_required_parameter"
        )
    return await _answer(ctx)
