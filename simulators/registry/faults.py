"""Registry faults (docs/protocols/registry.md: no public API is known, so these are our own terms)."""

from __future__ import annotations

from enum import StrEnum


class RegistryFault(StrEnum):
    """What the registry does instead of answering a lookup."""

    UNAVAILABLE = "unavailable"  # HTTP 503 「卡證服務系統維護中」 for the lookup
    # HTTP 200 and JSON, but outside the lookup's contract (docs/protocols/registry.md#malformed-answers), each the
    # answer of a registry that changed its format without telling the portal:
    SERVICES_NULL = "services-null"  # `"services": null` instead of a list (not even an empty one)
    ENTRY_AS_TEXT = "entry-as-text"  # each entry only its service's name, a string instead of an object
    DEPARTMENT_NULL = "department-null"  # each entry's `department` null instead of a string
    BOUND_AS_TEXT = "bound-as-text"  # each entry's `bound` the string "true" or "false" instead of a boolean
