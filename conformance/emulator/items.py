"""Conversation items: a Responses `input` as the message items the Responses and Conversations APIs store."""

from __future__ import annotations

from typing import Any


def input_items(value: Any) -> list[dict[str, Any]]:
    """The request's `input` as message items."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}]
    items = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            item = dict(item)
            if "role" in item and "type" not in item:
                item["type"] = "message"
            if item.get("type") == "message" and isinstance(item.get("content"), str):
                item["content"] = [{"type": "input_text", "text": item["content"]}]
            items.append(item)
    return items
