"""Masking of secrets (PIN, PUK, password) before a log, a transcript or a report keeps them.

The simulators mask what they record and the harness masks what it reports, with this one rule; it lives in `domain/`,
the bottom layer, so every layer reaches it without importing the harness or a simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, AnyStr

SECRET_FIELDS = frozenset({"pin", "puk", "password"})  # the keys a tbsPackage or a citizen profile keeps secrets in


def mask(secret: AnyStr) -> AnyStr:
    """One asterisk per character (or byte): a reader still sees a 6- from an 8-digit PIN, never the digits."""
    if isinstance(secret, bytes):
        return b"*" * len(secret)
    return "*" * len(secret)


def mask_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` with the value of every SECRET_FIELDS key masked, the rest as it was."""
    return {key: mask(str(value)) if key in SECRET_FIELDS else value for key, value in record.items()}
