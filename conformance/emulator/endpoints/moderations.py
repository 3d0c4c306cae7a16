"""Moderations: deterministic flags from a small word list; everything else scores near zero."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.emulator import textgen
from conformance.emulator.context import Context
from conformance.emulator.registry import handles
from conformance.emulator.synth import success_schema, synthesizer
from conformance.spec import schema_properties

# A word in the input flags these categories (so tests can ask for a flagged result).
TRIGGERS = {
    "kill": ("violence",),
    "hate": ("hate", "harassment"),
    "hurt myself": ("self-harm", "self-harm/intent"),
    "weapon": ("illicit", "illicit/violent", "violence"),
}


def inputs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        texts = []
        for item in value:
            texts.append(item if isinstance(item, str) else textgen.text_of(item) or "[image]")
        return texts or [""]
    return [""]


@handles("createModeration")
async def create_moderation(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    model = str(body.get("model") or "omni-moderation-latest")
    _, schema = success_schema(ctx.operation)
    result_schema = synthesizer(ctx.spec).merge(schema_properties(ctx.spec.document, schema)["results"])[
        "items"
    ]
    props = schema_properties(ctx.spec.document, result_schema)
    names = list(schema_properties(ctx.spec.document, props["categories"]))
    results = []
    for text in inputs(body.get("input")):
        lowered = text.lower()
        hit = {c for word, cats in TRIGGERS.items() if word in lowered for c in cats}
        categories = {name: name in hit for name in names}
        scores = {name: (0.97 if name in hit else 0.0001) for name in names}
        kinds = ["image"] if text == "[image]" else ["text"]
        applied = {name: kinds for name in names}
        hints = {
            "flagged": bool(hit),
            "categories": categories,
            "category_scores": scores,
            "category_applied_input_types": applied,
        }
        results.append(synthesizer(ctx.spec).value(result_schema, hints, seed=text))
    return ctx.json({"id": ctx.new_id("modr-"), "model": model, "results": results})
