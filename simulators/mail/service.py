"""E-mail simulator: a real SMTP server (aiosmtpd) and a Mailpit-compatible read API over the same mailbox.

SMTP: SMTPUTF8, encoded-word subjects, multipart text/HTML; the raw bytes are kept and parsed only when read (the
`email` package is the cost, ENVIRONMENT.md). Read side, as Mailpit answers what tests use: `GET /api/v1/messages`,
`GET /api/v1/message/{ID}`, `DELETE /api/v1/messages`, `GET /api/v1/search?query=to:addr`; an HTML inbox at `/`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse

from simulators._control import Simulator, simulator_app
from simulators._inbox import inbox_page
from simulators.mail.faults import AT_DATA, AT_RCPT, BOUNCING_ADDRESS, REPLIES, MailFault
from simulators.mail.models import Address, Message, MessageSummary


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How the SMTP side introduces itself."""

    hostname: str = "mail.tpcd.test"  # in the 220 greeting and the EHLO reply


@dataclass(slots=True)
class StoredMail:
    """One accepted message as it came over the wire; parsed (the `email` package is the cost) only when read."""

    id: str
    raw: bytes
    mail_from: str
    rcpt_tos: list[str]
    created: str
    _parsed: EmailMessage | None = field(default=None, repr=False)

    @property
    def parsed(self) -> EmailMessage:
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert self._parsed is not None
        return self._parsed

    def _body(self, subtype: str) -> str:
        part = self.parsed.get_body(preferencelist=(subtype,))
        return str(part.get_content()) if part is not None else ""

    def summary(self) -> MessageSummary:
        """What Mailpit lists."""
        return MessageSummary(
            id=self.id,
            message_id=str(self.parsed.get("Message-ID", "")).strip("<>"),
            sender=_address(str(self.parsed.get("From", self.mail_from))),
            to=tuple(Address("", rcpt) for rcpt in self.rcpt_tos),
            subject=str(self.parsed.get("Subject", "")),
            snippet=" ".join(self._body("plain").split())[:250],
            created=self.created,
            size=len(self.raw),
        )

    def message(self) -> Message:
        """What Mailpit answers for one message: the summary plus Text and HTML."""
        summary = self.summary()
        fields = {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
        return Message(**fields, text=self._body("plain"), html=self._body("html"))


def _address(header: str) -> Address:
    name, addr_spec = email.utils.parseaddr(header)
    try:
        return Address(name, HeaderAddress(addr_spec=addr_spec).addr_spec)
    except (ValueError, IndexError):
        return Address("", header)


class Mailbox(Simulator[MailSettings]):
    """Every message the SMTP side accepted, newest last, and the faults armed on it."""

    fault_enum = MailFault

    def __init__(self, settings: MailSettings) -> None:
        self._ids = itertools.count(1)  # never restarted, as Mailpit's IDs are never reused
        super().__init__(settings)

    def reset(self) -> None:
        with self.lock:
            self.mails: list[StoredMail] = []

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"messages": len(self.mails)}

    def store(self, envelope: Envelope) -> StoredMail:
        raw = envelope.original_content or envelope.content or b""
        mail = StoredMail(
            id=f"{next(self._ids):08d}",
            raw=raw if isinstance(raw, bytes) else raw.encode(),
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            created=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        with self.lock:
            self.mails.append(mail)
        return mail

    def find(self, to: str | None = None) -> list[StoredMail]:
        """Newest first, as Mailpit lists them."""
        with self.lock:
            mails = list(reversed(self.mails))
        return [m for m in mails if to is None or to.lower() in (r.lower() for r in m.rcpt_tos)]


class MailHandler:
    """aiosmtpd handler: store what arrives, unless a fault for that recipient says otherwise."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() == BOUNCING_ADDRESS:
            return REPLIES[MailFault.MAILBOX_UNAVAILABLE]
        fault = self.mailbox.faults.take(address, among=AT_RCPT)
        if fault is not None:
            return REPLIES[MailFault(fault.fault)]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        for rcpt in envelope.rcpt_tos:
            fault = self.mailbox.faults.take(rcpt, among=AT_DATA)
            if fault is None:
                continue
            if fault.fault == MailFault.DROP_MID_DATA:
                assert server.transport is not None
                server.transport.close()
                return "421 connection dropped"  # never reaches the client: the socket is gone
            if fault.fault == MailFault.SLOW_ACCEPT:
                await asyncio.sleep(fault.seconds or 3.0)
                break
            return REPLIES[MailFault(fault.fault)]
        mail = self.mailbox.store(envelope)
        return f"250 2.0.0 Ok: queued as {mail.id}"


class EphemeralController(Controller):
    """aiosmtpd Controller that can bind port 0 (aio-libs/aiosmtpd#388)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]  # the port actually bound
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def serve_smtp(mailbox: Mailbox, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0) -> Iterator[int]:
    """Run the SMTP side on `port` (0: any free one); yield the bound port; stop in `finally`."""
    controller = EphemeralController(
        MailHandler(mailbox),
        hostname=host,
        port=port,
        ready_timeout=timeout,
        enable_SMTPUTF8=True,
        server_hostname=mailbox.settings.hostname,
    )
    controller.start()  # returns once aiosmtpd's own ready event fired
    try:
        yield int(controller.port)
    finally:
        controller.stop()


def create_app(settings: MailSettings | None = None) -> FastAPI:
    """The Mailpit-compatible read API and control surface over a new mailbox (`app.state.simulator`), which
    `serve_smtp` fills."""
    mailbox = Mailbox(settings or MailSettings())
    app = simulator_app("mail simulator (Mailpit-compatible API)", mailbox)

    def listing(mails: list[StoredMail]) -> dict[str, Any]:
        return {"total": len(mails), "count": len(mails), "messages": [m.summary().to_wire() for m in mails]}

    @app.get("/api/v1/messages")
    def messages() -> dict[str, Any]:
        return listing(mailbox.find())

    @app.get("/api/v1/search")
    def search(query: str) -> dict[str, Any]:
        field_name, _, value = query.partition(":")
        if field_name != "to" or not value:
            raise HTTPException(status_code=400, detail="only `to:<address>` queries are supported")
        return listing(mailbox.find(value.strip('"')))

    @app.get("/api/v1/message/{message_id}")
    def message(message_id: str) -> dict[str, Any]:
        for mail in mailbox.find():
            if mail.id == message_id:
                return mail.message().to_wire()
        raise HTTPException(status_code=404, detail=f"message {message_id} not found")

    @app.delete("/api/v1/messages")
    def delete_messages() -> dict[str, str]:
        mailbox.reset()
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def inbox() -> str:
        shown = [mail.message() for mail in mailbox.find()]
        rows = [(m.created, ", ".join(a.address for a in m.to), m.subject, m.text) for m in shown]
        return inbox_page("電子郵件收件匣（模擬）", ("時間", "收件者", "主旨", "內容"), rows)

    return app
