"""What the agent simulator records, as its state class and its typed client both read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """One call the agent received, with the PIN masked: what a failure report shows."""

    at: float  # time.time() when it arrived
    path: str  # /pkcs11info, /sign or /decrypt
    origin: str | None  # the calling site's origin; None for a native client
    package: dict[str, Any]  # the tbsPackage as sent, "pin" replaced by as many "*"
