"""Registry faults (docs/protocols/registry.md: no public API is known, so these are our own terms)."""

from __future__ import annotations

from enum import StrEnum


class RegistryFault(StrEnum):
    """What the registry does instead of answering a lookup."""

    UNAVAILABLE = "unavailable"  # HTTP 503 「卡證服務系統維護中」 for the lookup
