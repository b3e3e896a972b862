"""Masking of secrets (PIN, PUK, password, a token) before a log, a transcript, a notebook or a report keeps them.

The one rule every layer masks with: the simulators what they record, the harness what it reports (harness/scrub.py
applies it to every encoding an artefact holds), the notebook what a cell shows, the certifier its verdict. It lives
in `domain/`, the bottom layer, so each reaches it without importing the harness or a simulator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, AnyStr

SECRET_FIELDS = frozenset({"pin", "puk", "password"})  # the keys a tbsPackage or a citizen profile keeps secrets in
MIN_SECRET = 4  # shorter values (an empty PUK, a 1-digit answer) would mask ordinary text, not a secret


def mask(secret: AnyStr) -> AnyStr:
    """One asterisk per character (or byte): a reader still sees a 6- from an 8-digit PIN, never the digits."""
    if isinstance(secret, bytes):
        return b"*" * len(secret)
    return "*" * len(secret)


def mask_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` with the value of every SECRET_FIELDS key masked, the rest as it was."""
    return {key: mask(str(value)) if key in SECRET_FIELDS else value for key, value in record.items()}


def mask_values(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret of at least MIN_SECRET characters masked (None: no such secret)."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET:
            text = text.replace(secret, mask(secret))
    return text
