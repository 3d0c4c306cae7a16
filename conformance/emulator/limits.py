"""Documented limits the spec states only in prose, enforced the same way for every object.

Metadata: at most 16 pairs, keys at most 64 characters, values strings of at most 512.
"""

from __future__ import annotations

from typing import Any

from conformance.emulator.errors import ApiError

METADATA_PAIRS = 16
METADATA_KEY = 64
METADATA_VALUE = 512


def check_metadata(metadata: Any, param: str = "metadata") -> dict[str, str] | None:
    """The metadata to store (None stays None); 400 when a documented limit is broken."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise ApiError(
            400, f"Invalid type for '{param}': expected an object.", param=param, code="invalid_type"
        )
    if len(metadata) > METADATA_PAIRS:
        raise ApiError(
            400,
            f"Invalid '{param}': too many properties. Expected an object with at most {METADATA_PAIRS} "
            f"properties, but got an object with {len(metadata)} properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > METADATA_KEY:
            raise ApiError(
                400,
                f"Invalid '{param}': key '{key[:20]}...' is too long. Expected a key with at most "
                f"{METADATA_KEY} characters, but got {len(key)} characters instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
        if not isinstance(value, str):
            raise ApiError(
                400,
                f"Invalid type for '{param}.{key}': expected a string.",
                param=f"{param}.{key}",
                code="invalid_type",
            )
        if len(value) > METADATA_VALUE:
            raise ApiError(
                400,
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum length "
                f"{METADATA_VALUE}, but got a string with length {len(value)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(metadata)


def check_attributes(attributes: Any, param: str = "attributes") -> dict[str, Any] | None:
    """Vector store file attributes: like metadata, but values may also be booleans or numbers."""
    if attributes is None:
        return None
    strings = {k: v for k, v in attributes.items() if isinstance(v, str)}
    others = {k: "" for k, v in attributes.items() if not isinstance(v, str)}
    check_metadata({**strings, **others}, param)
    return dict(attributes)
