"""Filling a path template with parameter values."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def concrete_path(template: str, path_params: dict[str, Any]) -> str:
    """`/threads/{thread_id}` with `{"thread_id": "thread_a"}` -> `/threads/thread_a` (values escaped)."""
    path = template
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path
