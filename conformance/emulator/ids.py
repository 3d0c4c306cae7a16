"""Object ids with the real API's prefixes (`asst_`, `file-`, ...): prefix + 24 base62 characters."""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_letters + string.digits
_random = random.SystemRandom()

# The prefix of each object kind, as the real API and its docs show them.
PREFIXES = {
    "assistant": "asst_",
    "thread": "thread_",
    "thread.message": "msg_",
    "thread.run": "run_",
    "thread.run.step": "step_",
    "tool_call": "call_",
    "file": "file-",
    "upload": "upload_",
    "upload.part": "part_",
    "vector_store": "vs_",
    "vector_store.files_batch": "vsfb_",
    "request": "req_",
}


def new_id(prefix: str) -> str:
    """A fresh id; `prefix` is either a literal prefix (`"asst_"`) or a kind from `PREFIXES`."""
    return PREFIXES.get(prefix, prefix) + "".join(_random.choices(_ALPHABET, k=24))
