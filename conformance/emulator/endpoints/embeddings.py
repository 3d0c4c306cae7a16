"""Embeddings: a deterministic unit vector per input (`textgen.embedding`), float or base64 (the real
API's answer to `encoding_format: base64`, which the spec does not declare; floats when spec-literal)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.emulator import textgen
from conformance.emulator.context import Context
from conformance.emulator.real_api import follows
from conformance.emulator.registry import handles

# Native sizes of the embedding models; unknown models get the small model's size.
DIMENSIONS = {"text-embedding-3-large": 3072, "text-embedding-3-small": 1536, "text-embedding-ada-002": 1536}


def inputs(value: Any) -> list[Any]:
    """The request's `input` as a list of items (a string, tokens, or a list of either)."""
    if isinstance(value, list) and value and not all(isinstance(v, int) for v in value):
        return value
    return [value]


@handles("createEmbedding")
async def create_embedding(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    model = str(body.get("model") or "text-embedding-3-small")
    native = DIMENSIONS.get(model, 1536)
    size = int(body.get("dimensions") or native)
    if model == "text-embedding-ada-002" and body.get("dimensions") is not None:
        ctx.error(400, "This model does not support specifying dimensions.", param="dimensions")
    if not 1 <= size <= native:
        ctx.error(400, f"This model supports at most {native} dimensions, got {size}.", param="dimensions")
    items = inputs(body.get("input"))
    if any(item in ("", []) for item in items):
        ctx.error(400, "'$.input' is invalid. Please check the API reference.", param="input")
    data = []
    for index, item in enumerate(items):
        text = (
            item if isinstance(item, str) else " ".join(map(str, item if isinstance(item, list) else [item]))
        )
        vector = textgen.embedding(f"{model}:{text}", size)
        base64 = body.get("encoding_format") == "base64" and follows(
            ctx.settings.spec_literal, "base64-embeddings"
        )
        encoded: Any = textgen.encode_base64(vector) if base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    prompt = sum(textgen.count(item) for item in items)
    return ctx.json(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
        }
    )
