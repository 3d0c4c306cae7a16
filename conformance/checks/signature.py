"""What makes findings one deviation: the signature every report, the fuzzer, diffs and baselines group by.

    (check, operation id, JSON path with array indexes and ids folded, message with numbers, ids
     and quoted values folded)

so `$.data[3].id` and `$.data[0].id`, or `"chatcmpl-9x…" is not one of …` and `"chatcmpl-2b…" …`,
are one deviation. It lives with the checks because a `Violation` knows its own signature.
"""

from __future__ import annotations

import re

Signature = tuple[str, str, str, str]

# A token that is an object id or a generated value: asst_abc123, chatcmpl-9xYz…, file-AbC123…,
# UUIDs, long hex strings. It must hold a digit, so words like `list-project-users` stay.
_ID = re.compile(
    r"\b[A-Za-z]{2,}[_-](?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{4,}\b"
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\b[0-9a-fA-F]{16,}\b"
)
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")
# An HTTP status after these words is part of what went wrong, not a varying value.
_NUMBER = re.compile(r"(?<![\w.])(?<!answered )(?<!status )(?<!HTTP )-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")
_INDEX = re.compile(r"\[\d+\]|(?<=/)\d+(?=/|$)")
_KEY_ID = re.compile(r"\[\"(?:[^\"\\]|\\.)*\"\]")


def normalise_path(path: str | None) -> str:
    """Array indexes become `[*]` and keys or segments that are ids become `{id}`: one path per place."""
    text = _INDEX.sub(lambda m: "[*]" if m.group(0).startswith("[") else "*", path or "")
    text = _KEY_ID.sub(lambda m: '["{id}"]' if _ID.search(m.group(0)) else m.group(0), text)
    return _ID.sub("{id}", text)


def message_shape(message: str | None) -> str:
    """The message with what varies between occurrences folded: quoted values, ids and numbers."""
    text = " ".join(str(message or "").split())
    text = _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[-1], text)
    text = _ID.sub("{id}", text)
    return _NUMBER.sub("N", text)


def signature(
    check: str | None, operation_id: str | None, path: str | None, message: str | None
) -> Signature:
    return (str(check or ""), str(operation_id or ""), normalise_path(path), message_shape(message))
