"""Wire records of the SMS simulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class SmsMessage:
    """One accepted message; `status` goes queued → DELIVRD when it reaches the (simulated) phone."""

    id: int
    msgid: str
    to: str
    body: str
    destname: str
    clientid: str
    received_at: str
    status: str = "queued"
    callback_url: str = ""

    def public(self) -> dict[str, Any]:
        """The read API's shape: {id, to, body, received_at, status} plus Mitake's own ids."""
        shown = asdict(self)
        del shown["callback_url"]
        return shown
