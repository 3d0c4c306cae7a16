"""Legacy completions: the prompt echoed (`textgen.reply`), `n` choices, `max_tokens`, `echo`, streaming."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response, StreamingResponse

from conformance.emulator import textgen
from conformance.emulator.context import Context
from conformance.emulator.registry import handles


def prompts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return [" ".join(map(str, v)) for v in value]
    if isinstance(value, list):
        return [" ".join(map(str, value))]
    return [""]


@handles("createCompletion")
async def create_completion(ctx: Context) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    n = int(body.get("n") or 1)
    limit = body.get("max_tokens", 16)
    choices: list[dict[str, Any]] = []
    used = 0
    texts = prompts(body.get("prompt"))
    for prompt in texts:
        for _ in range(n):
            text, cut = textgen.reply(prompt, limit)
            if body.get("echo"):
                text = prompt + text
            choices.append(
                {
                    "index": len(choices),
                    "text": text,
                    "finish_reason": "length" if cut else "stop",
                    "logprobs": None,
                }
            )
            used += textgen.count(text)
    prompt_tokens = sum(textgen.count(p) for p in texts)
    completion = {
        "id": ctx.new_id("cmpl-"),
        "object": "text_completion",
        "created": ctx.now(),
        "model": body.get("model") or "gpt-3.5-turbo-instruct",
        "choices": choices,
        "system_fingerprint": "fp_emulator",
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": used,
            "total_tokens": prompt_tokens + used,
        },
    }
    # the official spec forgets to declare createCompletion's stream; another spec is taken at its word
    if body.get("stream") and (ctx.operation.streams or ctx.operation.id == "createCompletion"):
        return StreamingResponse(_stream(completion), media_type="text/event-stream")
    return ctx.json(completion)


def _stream(completion: dict[str, Any]) -> Any:
    base = {k: v for k, v in completion.items() if k not in ("choices", "usage")}
    for choice in completion["choices"]:
        for piece in textgen.chunks(choice["text"]):
            yield textgen.sse({**base, "choices": [{**choice, "text": piece, "finish_reason": None}]})
        yield textgen.sse(
            {**base, "choices": [{**choice, "text": "", "finish_reason": choice["finish_reason"]}]}
        )
    yield textgen.DONE
