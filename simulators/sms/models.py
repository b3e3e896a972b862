"""Wire records of the SMS simulator's read API (ours, docs/protocols/sms-mitake.md): the service writes them, the
client reads them, so each key is spelled once, as a field name here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from simulators.inbox import find_otp

DELIVERED = "DELIVRD"  # Mitake's statusstr once it reached the phone (docs/protocols/sms-mitake.md)
CANCELLED = "DELETED"  # statusstr of a scheduled message cancelled with SmCancel (spec v2.14 附錄三)
SCHEDULED = "scheduled"  # ours: waiting for its dlvtime
QUEUED = "queued"  # ours: accepted, on its way to the phone
# Mitake's statuscode for each state, as SmQuery and SmCancel report it (spec v2.14 附錄一: 0 預約傳送中, 1 已送達業者,
# 4 已送達手機, 9 預約已取消).
STATUSCODES = {SCHEDULED: "0", QUEUED: "1", DELIVERED: "4", CANCELLED: "9"}


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One message the gateway accepted; `status` goes (scheduled →) queued → DELIVRD when it reaches the (simulated)
    phone, or scheduled → DELETED when SmCancel cancels it."""

    id: int
    msgid: str  # Mitake's own id: SmSend's reply puts "#" before it, SmQuery and the delivery report do not
    to: str
    body: str
    destname: str
    clientid: str
    received_at: str
    status: str = QUEUED
    status_at: str = ""  # when it last changed status ("" until it does)
    scheduled_for: str = ""  # its dlvtime when it was sent for later, ISO 8601
    points: int = 1  # what it cost (Mitake's smsPoint)

    @property
    def statuscode(self) -> str:
        """Its state as Mitake's statuscode."""
        return STATUSCODES[self.status]

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
