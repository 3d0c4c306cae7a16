"""Models: a fixed catalogue of base models plus the fine-tuned models jobs produce.

Only fine-tuned models (`ft:...`) can be deleted, as in the real API; deleting a base model is a 403.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.emulator.context import Context
from conformance.emulator.registry import handles

KIND = "model"
CREATED = 1_700_000_000

BASE_MODELS = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-5",
    "gpt-5-mini",
    "o3",
    "o4-mini",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-instruct",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "text-embedding-ada-002",
    "omni-moderation-latest",
    "text-moderation-latest",
    "gpt-image-1",
    "dall-e-2",
    "dall-e-3",
    "tts-1",
    "gpt-4o-mini-tts",
    "whisper-1",
    "gpt-4o-transcribe",
    "sora-2",
)


def base_models() -> list[dict[str, Any]]:
    owner = {"whisper-1": "openai-internal", "dall-e-2": "system", "dall-e-3": "system"}
    return [
        {"id": name, "object": "model", "created": CREATED, "owned_by": owner.get(name, "system")}
        for name in BASE_MODELS
    ]


def add_fine_tuned(ctx: Context, model_id: str, owner: str = "user-emulator") -> dict[str, Any]:
    """Register a model a fine-tuning job produced (so list/retrieve/delete see it)."""
    return ctx.store.put(KIND, {"id": model_id, "object": "model", "created": ctx.now(), "owned_by": owner})


def find(ctx: Context, model_id: str) -> dict[str, Any] | None:
    for model in base_models():
        if model["id"] == model_id:
            return model
    return ctx.store.get(KIND, model_id)


@handles("listModels")
async def list_models(ctx: Context) -> Response:
    return ctx.json({"object": "list", "data": base_models() + ctx.store.list(KIND)})


@handles("retrieveModel")
async def retrieve_model(ctx: Context) -> Response:
    model_id = ctx.path_params["model"]
    found = find(ctx, model_id)
    if found is None:
        ctx.error(404, f"The model '{model_id}' does not exist", param="model", code="model_not_found")
    return ctx.json(found)


@handles("deleteModel")
async def delete_model(ctx: Context) -> Response:
    model_id = ctx.path_params["model"]
    if model_id in BASE_MODELS:
        ctx.error(403, "You have insufficient permissions for this operation.", param="model")
    if ctx.store.delete(KIND, model_id) is None:
        ctx.error(404, f"The model '{model_id}' does not exist", param="model", code="model_not_found")
    return ctx.json({"id": model_id, "object": "model", "deleted": True})
