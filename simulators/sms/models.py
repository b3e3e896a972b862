"""Wire records of the SMS simulator's read API (ours, PROTOCOLS.md §7): the service writes them, the client reads
them, so each key is spelled once, as a field name here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from simulators._inbox import find_otp

DELIVERED = "DELIVRD"  # Mitake's statusstr once the message reached the phone (PROTOCOLS.md §7.4)


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One message the gateway accepted; `status` goes queued → DELIVRD when it reaches the (simulated) phone."""

    id: int
    msgid: str  # Mitake's own id, as the SmSend reply gave it
    to: str
    body: str
    destname: str
    clientid: str
    received_at: str
    status: str = "queued"

    @property
    def delivered(self) -> bool:
        """Whether it reached the phone (a DELAY fault holds it queued for a while)."""
        return self.status == DELIVERED

    @property
    def otp(self) -> str | None:
        """The one-time code it carries, if any."""
        return find_otp(self.body)

    def to_wire(self) -> dict[str, Any]:
        """The read API's JSON object."""
        return asdict(self)

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> SmsMessage:
        """Parse one object of the read API."""
        return cls(**{f.name: wire[f.name] for f in fields(cls)})
