"""Wire records of the mail simulator's read API, in Mailpit's API v1 shapes field for field (axllent/mailpit
`internal/storage/structs.go`: `MessageSummary`, `Message`, `Attachment`; `server/apiv1/messages.go`:
`MessagesSummary`): the service writes them and the client reads them here, so each of Mailpit's keys is spelled once.
A client of a real Mailpit reads the same keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulators.inbox import find_otp


@dataclass(frozen=True, slots=True)
class Address:
    """Go's `net/mail.Address` as Mailpit serialises it."""

    name: str
    address: str

    def to_wire(self) -> dict[str, str]:
        """`{"Name", "Address"}`."""
        return {"Name": self.name, "Address": self.address}

    @classmethod
    def from_wire(cls, wire: dict[str, Any] | None) -> Address:
        """Parse `{"Name", "Address"}`; Mailpit writes null for a message without a From."""
        return cls(wire["Name"], wire["Address"]) if wire else cls("", "")


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment or inline part, without its bytes (`GET /api/v1/message/{ID}/part/{PartID}` has them)."""

    part_id: str
    file_name: str
    content_type: str
    content_id: str
    size: int
    md5: str
    sha1: str
    sha256: str

    def to_wire(self) -> dict[str, Any]:
        """Mailpit's `Attachment`."""
        return {
            "PartID": self.part_id,
            "FileName": self.file_name,
            "ContentType": self.content_type,
            "ContentID": self.content_id,
            "Size": self.size,
            "Checksums": {"MD5": self.md5, "SHA1": self.sha1, "SHA256": self.sha256},
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Attachment:
        """Parse Mailpit's `Attachment`."""
        sums = wire.get("Checksums") or {}
        return cls(
            wire["PartID"],
            wire["FileName"],
            wire["ContentType"],
            wire["ContentID"],
            wire["Size"],
            sums.get("MD5", ""),
            sums.get("SHA1", ""),
            sums.get("SHA256", ""),
        )


def _addresses(wire: list[dict[str, Any]] | None) -> tuple[Address, ...]:
    return tuple(Address.from_wire(a) for a in wire or ())


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """One message as Mailpit lists it (`messages` of `GET /api/v1/messages` and `/api/v1/search`)."""

    id: str  # Mailpit's database ID: random, so it says nothing about arrival order
    message_id: str  # the Message-ID header, without its angle brackets
    read: bool
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]  # Mailpit adds the envelope recipients missing from To and Cc here
    reply_to: tuple[Address, ...]
    subject: str
    created: str  # when received, RFC 3339
    username: str
    tags: tuple[str, ...]
    size: int
    attachments: int
    snippet: str

    def to_wire(self) -> dict[str, Any]:
        """Mailpit's `MessageSummary`, keys in its order."""
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "Read": self.read,
            "From": self.sender.to_wire(),
            "To": [a.to_wire() for a in self.to],
            "Cc": [a.to_wire() for a in self.cc],
            "Bcc": [a.to_wire() for a in self.bcc],
            "ReplyTo": [a.to_wire() for a in self.reply_to],
            "Subject": self.subject,
            "Created": self.created,
            "Username": self.username,
            "Tags": list(self.tags),
            "Size": self.size,
            "Attachments": self.attachments,
            "Snippet": self.snippet,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> MessageSummary:
        """Parse one entry of `messages`."""
        return cls(
            id=wire["ID"],
            message_id=wire["MessageID"],
            read=wire["Read"],
            sender=Address.from_wire(wire["From"]),
            to=_addresses(wire["To"]),
            cc=_addresses(wire.get("Cc")),
            bcc=_addresses(wire.get("Bcc")),
            reply_to=_addresses(wire.get("ReplyTo")),
            subject=wire["Subject"],
            created=wire["Created"],
            username=wire.get("Username", ""),
            tags=tuple(wire.get("Tags") or ()),
            size=wire["Size"],
            attachments=wire["Attachments"],
            snippet=wire["Snippet"],
        )


@dataclass(frozen=True, slots=True)
class MessageList:
    """Mailpit's `MessagesSummary`: a page of messages and the mailbox's counts."""

    total: int  # messages in the mailbox
    unread: int
    count: int  # on this page (legacy, still sent)
    messages_count: int  # matching the query
    messages_unread: int
    start: int
    tags: tuple[str, ...]
    messages: tuple[MessageSummary, ...]

    def to_wire(self) -> dict[str, Any]:
        """Mailpit's listing, keys in its order."""
        return {
            "total": self.total,
            "unread": self.unread,
            "count": self.count,
            "messages_count": self.messages_count,
            "messages_unread": self.messages_unread,
            "start": self.start,
            "tags": list(self.tags),
            "messages": [m.to_wire() for m in self.messages],
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> MessageList:
        """Parse `GET /api/v1/messages` or `/api/v1/search`."""
        return cls(
            total=wire["total"],
            unread=wire["unread"],
            count=wire.get("count", len(wire["messages"])),
            messages_count=wire.get("messages_count", wire["total"]),
            messages_unread=wire.get("messages_unread", wire["unread"]),
            start=wire["start"],
            tags=tuple(wire.get("tags") or ()),
            messages=tuple(MessageSummary.from_wire(m) for m in wire["messages"]),
        )


@dataclass(frozen=True, slots=True)
class ListUnsubscribe:
    """Mailpit's summary of the List-Unsubscribe headers."""

    header: str = ""
    links: tuple[str, ...] = ()
    errors: str = ""
    header_post: str = ""

    def to_wire(self) -> dict[str, Any]:
        """`{"Header", "Links", "Errors", "HeaderPost"}`."""
        return {"Header": self.header, "Links": list(self.links), "Errors": self.errors, "HeaderPost": self.header_post}


@dataclass(frozen=True, slots=True)
class Message:
    """One message, as Mailpit answers `GET /api/v1/message/{ID}`."""

    id: str
    message_id: str
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    return_path: str
    subject: str
    date: str  # the Date header, RFC 3339 (when received, without one)
    tags: tuple[str, ...]
    username: str
    text: str
    html: str
    size: int
    inline: tuple[Attachment, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    list_unsubscribe: ListUnsubscribe = field(default_factory=ListUnsubscribe)

    @property
    def otp(self) -> str | None:
        """The one-time code in its text, if any."""
        return find_otp(self.text)

    def to_wire(self) -> dict[str, Any]:
        """Mailpit's `Message`, keys in its order."""
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "From": self.sender.to_wire(),
            "To": [a.to_wire() for a in self.to],
            "Cc": [a.to_wire() for a in self.cc],
            "Bcc": [a.to_wire() for a in self.bcc],
            "ReplyTo": [a.to_wire() for a in self.reply_to],
            "ReturnPath": self.return_path,
            "Subject": self.subject,
            "ListUnsubscribe": self.list_unsubscribe.to_wire(),
            "Date": self.date,
            "Tags": list(self.tags),
            "Username": self.username,
            "Text": self.text,
            "HTML": self.html,
            "Size": self.size,
            "Inline": [a.to_wire() for a in self.inline],
            "Attachments": [a.to_wire() for a in self.attachments],
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Message:
        """Parse Mailpit's `Message`."""
        unsubscribe = wire.get("ListUnsubscribe") or {}
        return cls(
            id=wire["ID"],
            message_id=wire["MessageID"],
            sender=Address.from_wire(wire["From"]),
            to=_addresses(wire["To"]),
            cc=_addresses(wire.get("Cc")),
            bcc=_addresses(wire.get("Bcc")),
            reply_to=_addresses(wire.get("ReplyTo")),
            return_path=wire.get("ReturnPath", ""),
            subject=wire["Subject"],
            date=wire["Date"],
            tags=tuple(wire.get("Tags") or ()),
            username=wire.get("Username", ""),
            text=wire["Text"],
            html=wire["HTML"],
            size=wire["Size"],
            inline=tuple(Attachment.from_wire(a) for a in wire.get("Inline") or ()),
            attachments=tuple(Attachment.from_wire(a) for a in wire.get("Attachments") or ()),
            list_unsubscribe=ListUnsubscribe(
                unsubscribe.get("Header", ""),
                tuple(unsubscribe.get("Links") or ()),
                unsubscribe.get("Errors", ""),
                unsubscribe.get("HeaderPost", ""),
            ),
        )
