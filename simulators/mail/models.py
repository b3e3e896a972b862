"""Wire records of the mail simulator's read API, in Mailpit's shapes (`/api/v1/messages`, `/api/v1/message/{ID}`):
the service writes them and the client reads them here, so each of Mailpit's keys is spelled once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators._inbox import find_otp


@dataclass(frozen=True, slots=True)
class Address:
    """Mailpit's address object."""

    name: str
    address: str

    def to_wire(self) -> dict[str, str]:
        """`{"Name", "Address"}`."""
        return {"Name": self.name, "Address": self.address}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Address:
        """Parse `{"Name", "Address"}`."""
        return cls(wire["Name"], wire["Address"])


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """One message as Mailpit lists it."""

    id: str
    message_id: str  # the Message-ID header, without its angle brackets
    sender: Address
    to: tuple[Address, ...]
    subject: str
    snippet: str
    created: str  # RFC 3339, UTC
    size: int

    def to_wire(self) -> dict[str, Any]:
        """Mailpit's message summary."""
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "From": self.sender.to_wire(),
            "To": [a.to_wire() for a in self.to],
            "Subject": self.subject,
            "Snippet": self.snippet,
            "Created": self.created,
            "Size": self.size,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> MessageSummary:
        """Parse one entry of `messages` in Mailpit's listing."""
        return cls(**_summary_fields(wire))


@dataclass(frozen=True, slots=True)
class Message(MessageSummary):
    """One message with its bodies, as Mailpit answers `GET /api/v1/message/{ID}`."""

    text: str
    html: str

    @property
    def otp(self) -> str | None:
        """The one-time code in its text, if any."""
        return find_otp(self.text)

    def to_wire(self) -> dict[str, Any]:
        """Mailpit's message: the summary's fields plus Text and HTML."""
        return {**MessageSummary.to_wire(self), "Text": self.text, "HTML": self.html}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Message:
        """Parse Mailpit's message."""
        return cls(**_summary_fields(wire), text=wire["Text"], html=wire["HTML"])


def _summary_fields(wire: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": wire["ID"],
        "message_id": wire["MessageID"],
        "sender": Address.from_wire(wire["From"]),
        "to": tuple(Address.from_wire(a) for a in wire["To"]),
        "subject": wire["Subject"],
        "snippet": wire["Snippet"],
        "created": wire["Created"],
        "size": wire["Size"],
    }
