"""Redaction: keys, credentials and configured secrets never reach a report or a log.

Two passes, because either alone misses something: `redact` walks structured data and blanks
credential headers and secret-looking keys by name; `redact_text` scrubs any rendered text for
key patterns and for the values of the configured secret environment variables.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
# Header and field names whose values are credentials, compared lower-case.
SECRET_NAMES = {
    "authorization",
    "proxy-authorization",
    "openai-organization",
    "openai-project",
    "api-key",
    "x-api-key",
    "api_key",
    "apikey",
    "cookie",
    "set-cookie",
    "password",
    "secret",
    "token",
    "access_token",
    "client_secret",
}
# Environment variables whose values are secrets by default; `--secret-env NAME` adds more.
DEFAULT_SECRET_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_ORGANIZATION",
    "OPENAI_PROJECT_ID",
)
# (a lower-case substring every match contains, the pattern): the cheap substring test runs first,
# since most strings hold none of these and a regex pass over a big report costs far more.
PATTERNS = [
    ("sk-", re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")),  # OpenAI keys: sk-..., sk-proj-..., sk-admin-...
    ("bearer", re.compile(r"(?i:\bBearer)\s+[A-Za-z0-9._~+/=\-]{4,}")),
    ("basic", re.compile(r"(?i:\bBasic)\s+[A-Za-z0-9+/=]{8,}")),
    ("org-", re.compile(r"\borg-[A-Za-z0-9]{16,}")),  # organization ids
    ("proj_", re.compile(r"\bproj_[A-Za-z0-9]{16,}")),  # project ids
    # user:password@ in URLs; never across a quote, or it would cut the JSON text holding the URL
    ("@", re.compile(r"(?<=://)[^/\s:@\"'\\]+:[^/\s@\"'\\]+(?=@)")),
]
IDS = ("org-", "proj_")  # the hints of PATTERNS that match ids, which `keep_ids` pseudonymises
_MIN_SECRET = 4  # shorter values would redact ordinary text


def secret_values(env_names: Iterable[str] = (), extra: Iterable[str] = ()) -> list[str]:
    """The values to scrub: those of the default and configured variables, plus `extra`."""
    names = [*DEFAULT_SECRET_ENV, *env_names]
    values = {os.environ.get(name, "") for name in names} | set(extra)
    return sorted((v for v in values if v and len(v) >= _MIN_SECRET), key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] | None = None, keep_ids: bool = False) -> str:
    """`text` without keys and secrets; with `keep_ids`, organisation and project ids become
    pseudonyms of the same shape instead of "[REDACTED]" (for recordings that are judged again)."""
    for value in secret_values() if secrets is None else secrets:
        if value and value in text:
            text = text.replace(value, REDACTED)
    lower = text.lower()
    for hint, pattern in PATTERNS:
        if hint in lower:
            text = pattern.sub(_pseudonym if keep_ids and hint in IDS else _keep_scheme, text)
    return text


def _pseudonym(match: re.Match[str]) -> str:
    """An id as another of the same prefix and length, the same for the same id: a recording whose
    ids are hidden still says `proj_...` where the API did, and a retrieve names what its create made."""
    value = match.group(0)
    prefix = next(hint for hint in IDS if value.startswith(hint))
    digest = hashlib.sha256(value.encode()).hexdigest() * 2
    return prefix + digest[: len(value) - len(prefix)]


def _keep_scheme(match: re.Match[str]) -> str:
    word = match.group(0).split(None, 1)[0]
    return f"{word} {REDACTED}" if word.lower() in ("bearer", "basic") else REDACTED


def redact(value: Any, secrets: Iterable[str] | None = None) -> Any:
    """A copy of JSON-like data with credential fields blanked and secrets scrubbed from strings."""
    secrets = list(secret_values() if secrets is None else secrets)
    return _redact(value, secrets)


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and key.lower() in SECRET_NAMES and isinstance(item, (str, int, float)):
                out[key] = REDACTED
            else:
                out[redact_text(key, secrets) if isinstance(key, str) else key] = _redact(item, secrets)
        return out
    if isinstance(value, (list, tuple)):
        return [_redact(item, secrets) for item in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value
