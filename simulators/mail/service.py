"""E-mail simulator: a real SMTP server (aiosmtpd) and a Mailpit-compatible read API over the same mailbox.

SMTP: SMTPUTF8, encoded-word subjects, multipart text/HTML; on receipt the headers Mailpit sets (Return-Path,
a missing Message-ID, envelope recipients missing from the headers into Bcc); the raw bytes kept, parsed when read (the
`email` package is the cost, docs/environment.md#mail). Read side, Mailpit's API v1 as axllent/mailpit v1.30 serves it
(`server/apiv1/`, `internal/storage/`): `GET /api/v1/messages` (start, limit, before), `GET|DELETE /api/v1/search`
(Mailpit's operators and semantics, `simulators.mail.mailpit`), `PUT|DELETE /api/v1/messages` (JSON IDs, Go's
case-insensitive keys; a body that is not JSON deletes everything, as Mailpit does), `GET /api/v1/message/{ID}`
(`latest` and `latest?query=…` too; marks it read), `…/headers`, `…/raw`, `…/part/{PartID}`, and Mailpit's plain-text
errors (400
`Error: no search query`, 404 `404 page not found`). Kept for weeks: the newest `max_messages` (Mailpit's 500), and
no message over `max_message_size` (552 at the end of DATA). IDs are random, as Mailpit's shortuuids: nothing may
rely on their order. An HTML inbox at `/`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.message import Message as MimePart
from typing import Annotated, Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from simulators.control import Simulator, simulator_app
from simulators.faults import Holds
from simulators.inbox import inbox_page
from simulators.mail import mailpit
from simulators.mail.faults import AT_DATA, AT_RCPT, BOUNCING_ADDRESS, REPLIES, MailFault
from simulators.mail.models import Address, Message, MessageList, MessageSummary
from simulators.serving import AddressRefused

HOLD_SECONDS, HOLD_TICK = 60.0, 0.2  # a HELD reply's longest wait unless armed with `seconds`; its continuation pace


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How the SMTP side introduces itself, and what a mailbox left running for weeks keeps (docs/shared-stack.md)."""

    hostname: str = "mail.tpcd.test"  # in the 220 greeting and the EHLO reply
    max_messages: int = 500  # Mailpit's --max default: the oldest messages go first
    max_message_size: int = 1_048_576  # bytes of DATA; beyond it 552, as relays refuse (aiosmtpd's data_size_limit)

    def __post_init__(self) -> None:
        if self.max_messages < 1 or self.max_message_size < 1:
            raise ValueError("max_messages and max_message_size must be at least 1")


@dataclass(slots=True)
class StoredMail:
    """One accepted message as Mailpit stores it; parsed (the `email` package is the cost) only when read."""

    id: str
    raw: bytes
    created: datetime
    read: bool = False
    _parsed: EmailMessage | None = field(default=None, repr=False)
    _parts: mailpit.Parts | None = field(default=None, repr=False)

    @property
    def parsed(self) -> EmailMessage:
        if self._parsed is None:
            self._parsed = mailpit.parse(self.raw)
        return self._parsed

    @property
    def parts(self) -> mailpit.Parts:
        if self._parts is None:
            self._parts = mailpit.parts(self.parsed)
        return self._parts

    @property
    def sender(self) -> Address:
        """Store: the From address, else the header's text as a name."""
        found = mailpit.addresses(self.parsed, "From")
        return found[0] if found else Address(mailpit.header(self.parsed, "From"), "")

    def recipients(self, name: str) -> tuple[Address, ...]:
        return tuple(mailpit.addresses(self.parsed, name))

    @property
    def tags(self) -> tuple[str, ...]:
        return mailpit.tags(self.parsed, self.sender)

    def summary(self) -> MessageSummary:
        """What Mailpit lists."""
        return MessageSummary(
            id=self.id,
            message_id=mailpit.header(self.parsed, "Message-ID").strip().strip("<>"),
            read=self.read,
            sender=self.sender,
            to=self.recipients("To"),
            cc=self.recipients("Cc"),
            bcc=self.recipients("Bcc"),
            reply_to=self.recipients("Reply-To"),
            subject=mailpit.header(self.parsed, "Subject"),
            created=mailpit.rfc3339(self.created),
            username="",
            tags=self.tags,
            size=len(self.raw),
            attachments=len(self.parts.attachments),
            snippet=mailpit.snippet(self.parts.text, self.parts.html),
        )

    def message(self) -> Message:
        """What Mailpit answers for one message (GetMessage)."""
        try:
            date = self.parsed["Date"].datetime if self.parsed.get("Date") else None
        except (TypeError, ValueError, AttributeError):
            date = None
        sender = self.sender
        return_path = mailpit.header(self.parsed, "Return-Path").strip().strip("<>") or sender.address
        return Message(
            id=self.id,
            message_id=mailpit.header(self.parsed, "Message-ID").strip().strip("<>"),
            sender=sender,
            to=self.recipients("To"),
            cc=self.recipients("Cc"),
            bcc=self.recipients("Bcc"),
            reply_to=self.recipients("Reply-To"),
            return_path=return_path,
            subject=mailpit.header(self.parsed, "Subject"),
            date=mailpit.rfc3339(date or self.created),
            tags=self.tags,
            username="",
            text=self.parts.text,
            html=self.parts.html,
            size=len(self.raw),
            inline=tuple(a for a, _ in self.parts.inline),
            attachments=tuple(a for a, _ in self.parts.attachments),
        )

    def part(self, part_id: str) -> MimePart | None:
        """The inline part or attachment with that PartID."""
        return next((p for a, p in [*self.parts.inline, *self.parts.attachments] if a.part_id == part_id), None)

    def searchable(self) -> mailpit.Searchable:
        parsed, found = self.parsed, self.parts
        return mailpit.Searchable(
            to_json=mailpit.address_json(self.recipients("To")),
            from_json=mailpit.address_json(self.sender),
            cc_json=mailpit.address_json(self.recipients("Cc")),
            bcc_json=mailpit.address_json(self.recipients("Bcc")),
            reply_to_json=mailpit.address_json(self.recipients("Reply-To")),
            subject=mailpit.header(parsed, "Subject"),
            message_id=mailpit.header(parsed, "Message-ID").strip().strip("<>"),
            search_text=mailpit.search_text(parsed, found),
            tags=self.tags,
            read=self.read,
            inline=len(found.inline),
            attachments=len(found.attachments),
            created=self.created,
            size=len(self.raw),
        )


class Mailbox(Simulator[MailSettings]):
    """Every message the SMTP side accepted, newest last, and the faults armed on it."""

    fault_enum = MailFault

    def reset(self) -> None:
        with self.lock:
            self.mails: list[StoredMail] = []
            self.holds = getattr(self, "holds", None) or Holds()  # DATA replies HELD, by recipient
            self.holds.reset()

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "held": self.holds.counts(),
                "messages": len(self.mails),
                "max_messages": self.settings.max_messages,
                "max_message_size": self.settings.max_message_size,
            }

    def store(self, envelope: Envelope) -> StoredMail:
        """Keep one message as Mailpit would after receiving it over SMTP."""
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        mail = StoredMail(
            id=mailpit.new_id(),
            raw=mailpit.received(data, envelope.mail_from or "", envelope.rcpt_tos),
            created=mailpit.received_at(),
        )
        with self.lock:
            self.mails.append(mail)
            del self.mails[: -self.settings.max_messages]  # the newest max_messages stay, as Mailpit prunes
        return mail

    def newest_first(self) -> list[StoredMail]:
        """Every message, newest first, as Mailpit lists them (by when received)."""
        with self.lock:
            return list(reversed(self.mails))

    def search(self, query: str, zone: str = "") -> list[StoredMail]:
        """The messages Mailpit's search finds, newest first."""
        keep = mailpit.matcher(query, zone)
        return [m for m in self.newest_first() if keep(m.searchable())]

    def get(self, message_id: str) -> StoredMail | None:
        with self.lock:
            return next((m for m in self.mails if m.id == message_id), None)

    def mark(self, ids: list[str] | None, *, read: bool) -> None:
        """Set read or unread on those IDs (all messages when None)."""
        with self.lock:
            for mail in self.mails:
                if ids is None or mail.id in ids:
                    mail.read = read

    def delete(self, ids: list[str] | None) -> None:
        """Delete those IDs (all messages when None); unknown IDs are ignored, as Mailpit does."""
        with self.lock:
            self.mails = [] if ids is None else [m for m in self.mails if m.id not in ids]

    def listing(self, page: list[StoredMail], *, start: int, matching: list[StoredMail] | None = None) -> MessageList:
        """Mailpit's MessagesSummary for one page; counts over the mailbox and over what matched."""
        everything = self.newest_first()
        matched = everything if matching is None else matching
        return MessageList(
            total=len(everything),
            unread=sum(not m.read for m in everything),
            count=len(page),
            messages_count=len(matched),
            messages_unread=sum(not m.read for m in matched),
            start=start,
            tags=tuple(sorted({t for m in everything for t in m.tags}, key=str.lower)),
            messages=tuple(m.summary() for m in page),
        )


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
            if fault.fault == MailFault.HELD:
                await self._hold(server, rcpt, fault.seconds or HOLD_SECONDS)
                return REPLIES[MailFault.TRY_LATER]
            return REPLIES[MailFault(fault.fault)]
        mail = self.mailbox.store(envelope)
        return f"250 2.0.0 Ok: queued as {mail.id}"

    async def _hold(self, server: SMTP, rcpt: str, seconds: float) -> None:
        """Keep the DATA reply open: a 451 continuation line every HOLD_TICK until released or `seconds` pass."""
        deadline = time.monotonic() + seconds
        with self.mailbox.holds.holding(rcpt) as released:
            while True:
                await server.push("451-4.3.0 Message held, please wait")  # at least one, whenever released
                if released() or time.monotonic() >= deadline:
                    return
                await asyncio.sleep(HOLD_TICK)


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
        data_size_limit=mailbox.settings.max_message_size,  # EHLO's SIZE; beyond it "552 Error: Too much mail data"
    )
    try:
        controller.start()  # returns once aiosmtpd's own ready event fired
    except OSError as error:  # raised again from its thread: a busy port, an address not of this machine
        raise AddressRefused("mail_smtp", host, port, error) from None
    try:
        yield int(controller.port)
    finally:
        controller.stop()


def _start_limit(request: Request) -> tuple[int, int, datetime | None]:
    """apiv1 getStartLimit: start (default 0), limit (default 50, 0 or more), before (ignored when unreadable)."""
    start = limit = 0
    try:
        start = max(int(request.query_params.get("start", "0")), 0)
    except ValueError:
        start = 0
    try:
        limit = int(request.query_params.get("limit", "50"))
    except ValueError:
        limit = 50
    before = mailpit.parse_date(request.query_params.get("before", ""), "")
    return start, limit if limit > -1 else 50, before


def _go_json_error(body: bytes) -> str | None:
    """What Go's json.Decoder says of a body that is not a JSON object, or None when it is one."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "EOF"
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return f"invalid character {text[0]!r} looking for beginning of value"
    return None


def _field(document: Any, name: str) -> Any:
    """A JSON object's field as Go's encoding/json finds it: the key matched case-insensitively."""
    if not isinstance(document, dict):
        return None
    return next((v for k, v in document.items() if k.lower() == name.lower()), None)


def create_app(settings: MailSettings | None = None) -> FastAPI:
    """The read API and control surface over a new mailbox (`app.state.simulator`), which `serve_smtp` fills."""
    mailbox = Mailbox(settings or MailSettings())
    app = simulator_app("mail simulator (Mailpit-compatible API)", mailbox)

    def bad_request(text: str) -> Response:
        return PlainTextResponse(text, status_code=400)  # apiv1 httpError

    def not_found() -> Response:
        return PlainTextResponse("404 page not found", status_code=404)  # apiv1 fourOFour

    def page(found: list[StoredMail], start: int, limit: int, *, search: bool) -> list[StoredMail]:
        if search:  # storage.Search slices what matched: limit 0 gives an empty page
            return found[start : start + limit]
        return found[start : start + limit] if limit > 0 else found[start:]  # storage.List: limit 0 is no limit

    @app.get("/api/v1/messages")
    def messages(request: Request) -> JSONResponse:
        start, limit, before = _start_limit(request)
        found = [m for m in mailbox.newest_first() if before is None or m.created < before]
        return JSONResponse(mailbox.listing(page(found, start, limit, search=False), start=start).to_wire())

    @app.get("/api/v1/search")
    def search(request: Request) -> Response:
        query = request.query_params.get("query", "").strip()
        if not query:
            return bad_request("Error: no search query")
        start, limit, before = _start_limit(request)
        found = [
            m for m in mailbox.search(query, request.query_params.get("tz", "")) if not before or m.created < before
        ]
        listing = mailbox.listing(page(found, start, limit, search=True), start=start, matching=found)
        return JSONResponse(listing.to_wire())

    @app.delete("/api/v1/search")
    def delete_search(request: Request) -> Response:
        query = request.query_params.get("query", "").strip()
        if not query:
            return bad_request("Error: no search query")
        mailbox.delete([m.id for m in mailbox.search(query, request.query_params.get("tz", ""))])
        return PlainTextResponse("ok")

    @app.delete("/api/v1/messages")
    async def delete_messages(request: Request) -> Response:
        body = await request.body()
        ids = None if _go_json_error(body) else _field(json.loads(body), "IDs")
        mailbox.delete(list(ids) if isinstance(ids, list) and ids else None)  # no IDs (or no JSON): everything
        return PlainTextResponse("ok")

    @app.post("/_control/release")
    def release(match: Annotated[str | None, Form()] = None) -> dict[str, int]:
        return {"released": mailbox.holds.release(match)}

    @app.put("/api/v1/messages")
    async def set_read_status(request: Request) -> Response:
        body = await request.body()
        error = _go_json_error(body)
        if error:
            return bad_request(error)
        document = json.loads(body)
        ids, query = _field(document, "IDs") or [], _field(document, "Search") or ""
        if ids and query:
            return bad_request("You may specify either IDs or a search query, not both")
        read = bool(_field(document, "Read"))
        if query:
            mailbox.mark([m.id for m in mailbox.search(query, request.query_params.get("tz", ""))], read=read)
        else:
            mailbox.mark(list(ids) or None, read=read)
        return PlainTextResponse("ok")

    def lookup(request: Request, message_id: str) -> StoredMail | Response:
        if message_id == "latest":  # storage.LatestID, of a search when `query` is given
            query = request.query_params.get("query", "").strip()
            found = mailbox.search(query, request.query_params.get("tz", "")) if query else mailbox.newest_first()
            if not found:
                return PlainTextResponse("Message not found", status_code=404)
            return found[0]
        return mailbox.get(message_id) or not_found()

    @app.get("/api/v1/message/{message_id}")
    def message(request: Request, message_id: str) -> Response:
        mail = lookup(request, message_id)
        if isinstance(mail, Response):
            return mail
        answer = mail.message().to_wire()
        mailbox.mark([mail.id], read=True)  # GetMessage marks it read
        return JSONResponse(answer)

    @app.get("/api/v1/message/{message_id}/headers")
    def headers(request: Request, message_id: str) -> Response:
        mail = lookup(request, message_id)
        return mail if isinstance(mail, Response) else JSONResponse(mailpit.header_map(mail.raw))

    @app.get("/api/v1/message/{message_id}/raw")
    def raw(request: Request, message_id: str, dl: str = "") -> Response:
        mail = lookup(request, message_id)
        if isinstance(mail, Response):
            return mail
        disposition = {"Content-Disposition": f'attachment; filename="{mail.id}.eml"'} if dl == "1" else {}
        return Response(mail.raw, media_type="text/plain; charset=utf-8", headers=disposition)

    @app.get("/api/v1/message/{message_id}/part/{part_id}")
    def part(request: Request, message_id: str, part_id: str) -> Response:
        mail = lookup(request, message_id)
        if isinstance(mail, Response):
            return mail
        found = mail.part(part_id)
        if found is None:
            return not_found()
        content = found.get_payload(decode=True)
        name = found.get_filename() or str(found.get("Content-ID", "")).strip("<>")
        return Response(
            content if isinstance(content, bytes) else b"",
            media_type=found.get_content_type(),
            headers={"Content-Disposition": f'inline; filename="{quote(name)}"'},  # Go's url.PathEscape
        )

    @app.get("/", response_class=HTMLResponse)
    def inbox() -> str:
        shown = [mail.message() for mail in mailbox.newest_first()]
        rows = [(m.date, ", ".join(a.address for a in m.to + m.bcc), m.subject, m.text) for m in shown]
        return inbox_page("電子郵件收件匣（模擬）", ("時間", "收件者", "主旨", "內容"), rows)

    return app
