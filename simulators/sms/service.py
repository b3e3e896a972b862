"""Mitake-compatible SMS gateway (docs/protocols/sms-mitake.md): what the portal sends its one-time codes through.

Protocol surface, under `/api/mtk/` (enterprise) and `/b2c/mtk/` (B2C), as Mitake's specification v2.14 documents it
(codepower-tw/sms-mitake-php `docs/HTTP_MitakeAPI_v2.14.pdf`):
- `SmSend`: parameters from the query string or the form, GET or POST (clients put the account in either: the PyPI
  `mitake` package in the query, go-mitake and codepower-tw in the form); `CharsetURL` (Big5 when absent); 0x06 as the
  newline; the `[clientid]` section (`[1]` without one); `smsPointFlag=1` adds `smsPoint`; `clientid` answered from the
  first result with `Duplicate=Y` for 12 h; `dlvtime` in the future (YYYYMMDDHHMMSS or seconds) schedules it
  (`statuscode=0`); `dstaddr` normalised (no "+", ".", "-", spaces; 88609 → 8869).
- `SmBulkSend`: account, `Encoding_PostIn`, `objectID`, `smsPointFlag` in the query; up to 500 `$$` records in the body.
- `SmQuery`: balance (`AccountPoint=N`) without `msgid`; else tab-separated status rows, msgid without "#".
- `SmCancel`: `msgid=9` cancelled, `=0`…`8` too late, `=?` unknown.
- The delivery report: GET to `response` with the msgid as SmQuery writes it (no "#"), retried until the receiver
  answers `magicid=sms_gateway_rpack` (spec p. 13).
- Legacy endpoints still in SDKs (docs/protocols/sms-mitake.md#legacy-endpoints; mitaketw/sms-java
  `MitakeSmsSender.java`): `SmSendGet.asp`
  (query, `encoding`, several `dstaddr` comma-separated), `SmSendPost.asp` (INI body), `SmQueryGet.asp`, `SmCancel.asp`.

Confirmed by the specification (once "not confirmed" or "seen in integrator sample code" in
docs/protocols/sms-mitake.md):
`objectID` is the batch name (16 chars), accepted and ignored; `clientid`'s 12-hour window and `Duplicate=Y`; the
callback's answer `magicid=sms_gateway_rpack[LF]msgid=…[LF]`; statusstr values (附錄三); 15 concurrent connections;
SmQuery without msgid is the balance. Still our choices (not in the spec): the error replies' layout
(`faults.ACCOUNT_LEVEL`), the reply charset (the declared one), statuscode 5 for a body not in the declared charset,
an unparseable `dlvtime` sent at once, and no delivery report for a cancelled message.
Kept for weeks (docs/shared-stack.md): the newest `inbox_limit` messages (500, as Mailpit), clientids for 12 hours
but at most `clientid_memory`, points topped up when they run out (`points_refill`; `POST /_control/points` buys
more), msgids from the clock so a restarted gateway repeats none, and delivery reports only to the URLs registered
for the account (`POST /_control/callbacks`), never to loopback at the word of a caller beyond it.
Read side: `GET /api/v1/messages[?to=…]`, `GET /api/v1/messages/{id}`, `DELETE /api/v1/messages`, an HTML inbox at `/`.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from simulators.control import Simulator, simulator_app
from simulators.faults import ArmedFault
from simulators.inbox import inbox_page
from simulators.sms import mitake
from simulators.sms.faults import QUERY_FAULTS, STATUSCODE_FAULTS, UNREACHABLE_MOBILE, SmsFault
from simulators.sms.mitake import Outcome
from simulators.sms.models import CANCELLED, DELIVERED, QUEUED, SCHEDULED, SmsMessage
from simulators.standalone import is_loopback

TAIPEI = ZoneInfo("Asia/Taipei")
MOBILE_FORMS = ("09", "8869")  # 0912345678, or 886912345678 once normalised (spec v2.14 p. 5)
DUPLICATE_WINDOW = timedelta(hours=12)
RPACK = "magicid=sms_gateway_rpack"
STAMP = "%Y%m%d%H%M%S"  # Mitake's YYYYMMDDHHMMSS


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """The account the portal is configured with, how hard delivery reports are retried, and what a stack left
    running for weeks keeps: the newest `inbox_limit` messages, points topped up when they run out (`points_refill`,
    as an account on automatic top-up), clientids for Mitake's 12 hours but at most `clientid_memory` of them."""

    username: str = "tpcd"
    password: str = "tpcd-sms-secret"
    account_points: int = 100_000
    callback_attempts: int = 5
    callback_interval: float = 0.2
    inbox_limit: int = 500  # as Mailpit's default --max: the oldest messages go first
    points_refill: bool = True  # False: the balance runs out (Mitake's `s`) until POST /_control/points tops it up
    clientid_memory: int = 10_000
    callback_urls: tuple[str, ...] = ()  # the delivery-report URLs registered for the account (Mitake registers them)
    msgid_start: int | None = None  # the first msgid; None: from the clock, so a restarted gateway repeats none

    def __post_init__(self) -> None:
        if self.inbox_limit < 1 or self.clientid_memory < 1:
            raise ValueError("inbox_limit and clientid_memory must be at least 1")


def first_msgid() -> int:
    """Where a new gateway's msgids start: the milliseconds of the clock in Mitake's ten digits, so the msgids of a
    gateway restarted later follow those it gave before (while it gave fewer than a thousand a second)."""
    return time.time_ns() // 1_000_000 % 10**10


def callback_key(url: str) -> str:
    """A delivery-report URL as it is registered: scheme, host, port and path (the query is the sender's own)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}"


@dataclass(frozen=True, slots=True)
class Draft:
    """One message as a request asks for it, before the gateway judges it."""

    dstaddr: str
    smbody: str
    clientid: str = ""
    destname: str = ""
    dlvtime: str = ""
    response: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, str]) -> Draft:
        """From SmSend's fields (the legacy endpoints spell two of them `DestName` and `ClientID`)."""
        return cls(
            dstaddr=fields.get("dstaddr", ""),
            smbody=fields.get("smbody", ""),
            clientid=fields.get("clientid", fields.get("ClientID", "")),
            destname=fields.get("destname", fields.get("DestName", "")),
            dlvtime=fields.get("dlvtime", ""),
            response=fields.get("response", ""),
        )


class SmsGateway(Simulator[SmsSettings]):
    """The gateway's state: accepted messages, points left, clientid memory and delivery-report attempts."""

    fault_enum = SmsFault

    def __init__(self, settings: SmsSettings) -> None:
        self._ids = itertools.count(1)  # never restarted: a delivery timer from before a reset finds no message
        start = first_msgid() if settings.msgid_start is None else settings.msgid_start
        self._msgids = itertools.count(start)
        self._timers: list[threading.Timer] = []
        self.registered = {callback_key(url) for url in settings.callback_urls}
        self.refills = 0
        super().__init__(settings)

    def reset(self) -> None:
        """Empty inbox, full points, no memory of clientids, no message waiting for its time."""
        with self.lock:
            for timer in self._timers:
                timer.cancel()
            self._timers = []
            self.messages: deque[SmsMessage] = deque()
            self.points = self.settings.account_points
            self.clientids: dict[str, tuple[datetime, Outcome, int]] = {}  # clientid → (first, outcome, balance)
            self.report_urls: dict[str, str] = {}  # msgid → its `response` URL
            self.callbacks: deque[dict[str, Any]] = deque(maxlen=self.settings.inbox_limit)

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "messages": len(self.messages),
                "inbox_limit": self.settings.inbox_limit,
                "account_points": self.points,
                "points_refill": self.settings.points_refill,
                "refills": self.refills,
                "callback_urls": sorted(self.registered),
                "callbacks": list(self.callbacks),
            }

    def top_up(self, points: int) -> int:
        """Add points to the account, as buying them does; the balance after."""
        with self.lock:
            self.points += points
            return self.points

    def register_callback(self, url: str) -> None:
        """Allow delivery reports to `url` (its query aside), as Mitake's account settings do."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        with self.lock:
            self.registered.add(callback_key(url))

    def callback_refusal(self, url: str, client_host: str | None) -> str | None:
        """Why a delivery report will not go to `url`, if it will not: only to URLs registered for the account, and
        never to the stack's own loopback at the word of a caller beyond it."""
        if callback_key(url) not in self.registered:
            return "not registered for the account"
        host = urlsplit(url.strip()).hostname or ""
        if client_host is not None and not is_loopback(client_host) and is_loopback(host):
            return "loopback, asked from beyond it"
        return None

    def account_refusal(self, fields: Mapping[str, str]) -> str | None:
        """The statuscode refusing a request's account (c, d, e), if any (spec 附錄二)."""
        if not fields.get("username"):
            return "c"
        if not fields.get("password"):
            return "d"
        if (fields["username"], fields["password"]) != (self.settings.username, self.settings.password):
            return "e"
        return None

    def send(
        self,
        fields: Mapping[str, str],
        drafts: list[Draft],
        *,
        bulk: bool = False,
        legacy: bool = False,
        client_host: str | None = None,
    ) -> str:
        """Judge and accept the messages of one SmSend / SmBulkSend request (from `client_host`, None: in-process);
        Mitake's reply (without the charset)."""
        refused = self.account_refusal(fields)
        if refused:
            return mitake.account_error(refused)
        if bulk and not 0 < len(drafts) <= mitake.BULK_LIMIT:
            return mitake.account_error("y")
        outcomes: list[Outcome] = []
        for number, draft in enumerate(drafts, start=1):
            outcome = self._accept(draft, section=draft.clientid or str(number), client_host=client_host)
            if isinstance(outcome, str):
                return mitake.account_error(outcome)
            outcomes.append(outcome)
        with self.lock:
            balance = self.points
            if len(outcomes) == 1 and outcomes[0].duplicate:
                balance = self.clientids[drafts[0].clientid][2]  # "直接回覆之前發送的回覆值" (spec p. 6)
        with_points = fields.get("smsPointFlag") == "1"
        return mitake.send_reply(outcomes, balance, with_points=with_points, bulk=bulk, legacy=legacy)

    def _accept(self, draft: Draft, *, section: str, client_host: str | None = None) -> Outcome | str:
        """One message's outcome, or the account-level statuscode that refuses the whole request."""
        now = datetime.now(TAIPEI)
        with self.lock:
            remembered = self.clientids.get(draft.clientid) if draft.clientid else None
            if remembered and now - remembered[0] < DUPLICATE_WINDOW:
                return replace(remembered[1], duplicate=True)
        dstaddr = mitake.normalise_mobile(draft.dstaddr)
        fault = self.faults.take(dstaddr, among={f.value for f in STATUSCODE_FAULTS})
        if fault is not None:
            return fault.fault if mitake.is_account_level(fault.fault) else Outcome(section, fault.fault)
        if not (dstaddr.startswith(MOBILE_FORMS) and dstaddr.isdigit() and len(dstaddr) in (10, 12)):
            return Outcome(section, "v")
        body = draft.smbody.replace("\x06", "\n")  # Mitake's newline on the wire
        if not body.strip():
            return Outcome(section, "u")
        cost = mitake.points(body)
        when = _scheduled_time(draft.dlvtime, now)
        with self.lock:
            if self.points < cost and self.settings.points_refill:
                self.points += self.settings.account_points  # the automatic top-up a long-lived account has
                self.refills += 1
            if self.points < cost:
                return "s"
            self.points -= cost
            number = next(self._ids)
            message = SmsMessage(
                id=number,
                msgid=f"{next(self._msgids) % 10**10:010d}",
                to=dstaddr,
                body=body,
                destname=draft.destname,
                clientid=draft.clientid,
                received_at=now.isoformat(timespec="milliseconds"),
                status=SCHEDULED if when else QUEUED,
                scheduled_for=when.isoformat(timespec="seconds") if when else "",
                points=cost,
            )
            self._keep(message)
            if draft.response:
                refusal = self.callback_refusal(draft.response, client_host)
                if refusal is None:
                    self.report_urls[message.msgid] = draft.response
                else:
                    self.callbacks.append({"msgid": message.msgid, "attempt": 0, "refused": refusal})
            outcome = Outcome(section, message.statuscode, message.msgid, cost)
            if draft.clientid:
                self._remember(draft.clientid, (now, outcome, self.points))
        if when:
            self._later((when - now).total_seconds(), self._release, message.id)
        else:
            self._schedule_delivery(message)
        return outcome

    def _keep(self, message: SmsMessage) -> None:
        """Add `message` to the inbox, dropping the oldest beyond the limit (and where their reports would go)."""
        self.messages.append(message)
        while len(self.messages) > self.settings.inbox_limit:
            dropped = self.messages.popleft()
            self.report_urls.pop(dropped.msgid, None)

    def _remember(self, clientid: str, first: tuple[datetime, Outcome, int]) -> None:
        """Remember a clientid for Mitake's window; the oldest go once the window passes or the memory is full."""
        self.clientids.pop(clientid, None)
        self.clientids[clientid] = first  # newest last: the dict keeps insertion order
        oldest = next(iter(self.clientids))
        while self.clientids and (
            len(self.clientids) > self.settings.clientid_memory
            or first[0] - self.clientids[oldest][0] >= DUPLICATE_WINDOW
        ):
            del self.clientids[oldest]
            oldest = next(iter(self.clientids), "")

    def _later(self, seconds: float, action: Callable[[int], None], message_id: int) -> None:
        timer = threading.Timer(max(seconds, 0.0), action, args=(message_id,))
        timer.daemon = True
        with self.lock:
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _release(self, message_id: int) -> None:
        """A scheduled message's time has come: it leaves for the phone."""
        message = self._update(message_id, SCHEDULED, QUEUED)
        if message is not None:
            self._schedule_delivery(message)

    def _schedule_delivery(self, message: SmsMessage) -> None:
        fault = self.faults.take(message.to, among={SmsFault.DELAY.value, SmsFault.NEVER_DELIVER.value})
        if message.to == UNREACHABLE_MOBILE or (fault is not None and fault.fault == SmsFault.NEVER_DELIVER):
            return
        delay = (fault.seconds or 3.0) if fault is not None else 0.0
        self._later(delay, self._deliver, message.id)

    def _update(self, message_id: int, before: str, after: str) -> SmsMessage | None:
        """Move one message from status `before` to `after`; the updated message, or None if it is not in `before`."""
        stamp = datetime.now(TAIPEI).isoformat(timespec="milliseconds")
        with self.lock:
            for index, message in enumerate(self.messages):
                if message.id == message_id and message.status == before:
                    self.messages[index] = updated = replace(message, status=after, status_at=stamp)
                    return updated
        return None  # reset, deleted or cancelled meanwhile

    def _deliver(self, message_id: int) -> None:
        delivered = self._update(message_id, QUEUED, DELIVERED)
        if delivered is None:
            return
        with self.lock:
            url = self.report_urls.pop(delivered.msgid, "")
        if url:
            self._report(delivered, url)

    def _report(self, message: SmsMessage, url: str) -> None:
        """GET the delivery report until the receiver acknowledges it (spec p. 13, docs/protocols/sms-mitake.md)."""
        sent = datetime.fromisoformat(message.scheduled_for or message.received_at)
        params = {
            "msgid": message.msgid,  # as SmQuery writes it, without SmSend's "#" (docs/protocols/sms-mitake.md#replies)
            "dstaddr": message.to,
            "dlvtime": sent.strftime(STAMP),
            "donetime": datetime.fromisoformat(message.status_at).strftime(STAMP),
            "statusstr": DELIVERED,
            "statuscode": "0",
            "StatusFlag": message.statuscode,
        }
        for attempt in range(1, self.settings.callback_attempts + 1):
            try:
                answer = requests.get(url, params=params, timeout=2).text
            except requests.RequestException as error:
                answer = f"error: {error}"
            acknowledged = RPACK in answer
            with self.lock:
                self.callbacks.append({"msgid": message.msgid, "attempt": attempt, "acknowledged": acknowledged})
            if acknowledged:
                return
            time.sleep(self.settings.callback_interval * attempt)

    def query(self, fields: Mapping[str, str]) -> str:
        """SmQuery: the balance without `msgid`, else a status row for each message this account sent."""
        refused = self.account_refusal(fields) or self._query_fault()
        if refused:
            return mitake.account_error(refused)
        wanted = mitake.msgids(fields.get("msgid", ""))
        if not wanted:
            with self.lock:  # no line end, as the spec's example (p. 11): go-mitake's Atoi would choke on one
                return f"AccountPoint={self.points}"
        if len(wanted) > mitake.QUERY_LIMIT:
            return mitake.account_error("w")
        found = {m.msgid: m for m in self.find() if m.msgid in wanted}
        rows = [
            (m.msgid, m.statuscode, datetime.fromisoformat(m.status_at or m.received_at).strftime(STAMP), m.points)
            for m in (found[msgid] for msgid in wanted if msgid in found)
        ]
        return mitake.status_rows(rows, with_points=fields.get("smsPointFlag") == "1")

    def cancel(self, fields: Mapping[str, str]) -> str:
        """SmCancel: cancel the scheduled messages among `msgid`; the others say why not."""
        refused = self.account_refusal(fields) or self._query_fault()
        if refused:
            return mitake.account_error(refused)
        wanted = mitake.msgids(fields.get("msgid", ""))
        if len(wanted) > mitake.QUERY_LIMIT:
            return mitake.account_error("w")
        results: dict[str, str] = {}
        for msgid in wanted:
            message = next((m for m in self.find() if m.msgid == msgid), None)
            if message is None:
                results[msgid] = "?"
                continue
            cancelled = self._update(message.id, SCHEDULED, CANCELLED)
            results[msgid] = cancelled.statuscode if cancelled else self._current(message.id)
        return mitake.cancel_lines(results)

    def _current(self, message_id: int) -> str:
        with self.lock:
            return next(m.statuscode for m in self.messages if m.id == message_id)

    def _query_fault(self) -> str | None:
        fault = self.faults.take(None, among=QUERY_FAULTS)
        return fault.fault if fault is not None else None

    def find(self, to: str | None = None) -> list[SmsMessage]:
        """The accepted messages (to one number), oldest first."""
        with self.lock:
            return [m for m in self.messages if to is None or m.to == to]

    def delete_all(self) -> int:
        """Empty the inbox (points and clientid memory stay); how many messages went."""
        with self.lock:
            count = len(self.messages)
            self.messages.clear()
            self.report_urls.clear()
        return count


def _scheduled_time(dlvtime: str, now: datetime) -> datetime | None:
    """When a message sent for later leaves: `dlvtime` as YYYYMMDDHHMMSS or seconds from now (spec p. 5); None for
    now (empty, past or unparseable)."""
    value = dlvtime.strip()
    when: datetime | None = None
    if value.isdigit() and len(value) == 14:
        try:
            when = datetime.strptime(value, STAMP).replace(tzinfo=TAIPEI)
        except ValueError:
            when = None
    elif value.isdigit():
        when = now + timedelta(seconds=int(value))
    return when if when is not None and when > now else None


class TopUp(BaseModel):
    """Body of `POST /_control/points`: points bought for the account."""

    points: int


class CallbackUrl(BaseModel):
    """Body of `POST /_control/callbacks`: a delivery-report URL registered for the account."""

    url: str


def _client_host(request: Request) -> str | None:
    return request.client.host if request.client else None


def create_app(settings: SmsSettings | None = None) -> FastAPI:
    """The gateway as an ASGI app."""
    gateway = SmsGateway(settings or SmsSettings())
    app = simulator_app("Mitake SMS gateway simulator", gateway)

    @app.post("/_control/points")
    def top_up(body: TopUp) -> dict[str, int]:
        if body.points < 1:
            raise HTTPException(status_code=422, detail="points: top up with 1 or more")
        return {"account_points": gateway.top_up(body.points)}

    @app.post("/_control/callbacks")
    def register_callback(body: CallbackUrl) -> dict[str, list[str]]:
        try:
            gateway.register_callback(body.url)
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        return {"callback_urls": gateway.state()["callback_urls"]}

    async def transport_fault(dstaddr: str | None) -> Response | None:
        fault: ArmedFault | None = gateway.faults.take(dstaddr, among={SmsFault.HTTP_500.value, SmsFault.HANG.value})
        if fault is None:
            return None
        if fault.fault == SmsFault.HANG:
            await asyncio.sleep(fault.seconds or 30.0)
        return Response(status_code=500)

    def answer(text: str, charset: str) -> Response:
        return Response(text.encode(charset, errors="replace"), media_type=f"text/plain; charset={charset}")

    async def parameters(request: Request, *, form: bool = True) -> tuple[dict[str, str], str] | None:
        """The request's parameters, query then form (the form wins), read in its declared charset; None when they
        are not in it."""
        charset = mitake.charset_of(request.scope["query_string"])
        try:
            fields = mitake.form_fields(request.scope["query_string"], charset)
            if form and request.method == "POST":
                fields.update(mitake.form_fields(await request.body(), charset))
        except UnicodeDecodeError:
            return None
        return fields, charset

    bad_charset = "[1]\r\nstatuscode=5\r\nError=內容有錯誤\r\n"  # 5 內容有錯誤: not in the declared charset (ours)

    @app.api_route("/api/mtk/SmSend", methods=["GET", "POST"])
    @app.api_route("/b2c/mtk/SmSend", methods=["GET", "POST"])
    async def smsend(request: Request) -> Response:
        read = await parameters(request)
        if read is None:
            return answer(bad_charset, mitake.charset_of(request.scope["query_string"]))
        fields, charset = read
        failed = await transport_fault(mitake.normalise_mobile(fields.get("dstaddr", "")))
        if failed is not None:
            return failed
        return answer(gateway.send(fields, [Draft.of(fields)], client_host=_client_host(request)), charset)

    @app.post("/api/mtk/SmBulkSend")
    @app.post("/b2c/mtk/SmBulkSend")
    async def smbulksend(request: Request) -> Response:
        read = await parameters(request, form=False)
        charset = mitake.charset_of(request.scope["query_string"])
        try:
            body = (await request.body()).decode(charset)
        except UnicodeDecodeError:
            read = None
        if read is None:
            return answer(bad_charset, charset)
        records = mitake.bulk_records(body)
        first = records[0][1] if records and len(records[0]) > 1 else ""
        failed = await transport_fault(mitake.normalise_mobile(first))
        if failed is not None:
            return failed
        drafts = [Draft(*_bulk_fields(record)) for record in records]
        return answer(gateway.send(read[0], drafts, bulk=True, client_host=_client_host(request)), charset)

    @app.api_route("/api/mtk/SmQuery", methods=["GET", "POST"])
    @app.api_route("/b2c/mtk/SmQuery", methods=["GET", "POST"])
    @app.api_route("/SmQueryGet.asp", methods=["GET", "POST"])
    async def smquery(request: Request) -> Response:
        read = await parameters(request)
        if read is None:
            return answer(bad_charset, "big5")
        return answer(gateway.query(read[0]), read[1])

    @app.api_route("/api/mtk/SmCancel", methods=["GET", "POST"])
    @app.api_route("/b2c/mtk/SmCancel", methods=["GET", "POST"])
    @app.api_route("/SmCancel.asp", methods=["GET", "POST"])
    async def smcancel(request: Request) -> Response:
        read = await parameters(request)
        if read is None:
            return answer(bad_charset, "big5")
        return answer(gateway.cancel(read[0]), read[1])

    @app.api_route("/SmSendGet.asp", methods=["GET", "POST"])
    async def smsendget(request: Request) -> Response:
        """Legacy single body, several numbers: `dstaddr=09…,09…` (mitaketw/sms-java `buildSendSingleBodyUrl`)."""
        read = await parameters(request)
        if read is None:
            return answer(bad_charset, "big5")
        fields, charset = read
        numbers = [n for n in fields.get("dstaddr", "").split(",") if n.strip()] or [""]
        failed = await transport_fault(mitake.normalise_mobile(numbers[0]))
        if failed is not None:
            return failed
        drafts = [Draft.of({**fields, "dstaddr": number}) for number in numbers]
        sent = gateway.send(fields, drafts, bulk=len(drafts) > 1, legacy=True, client_host=_client_host(request))
        return answer(sent, charset)

    @app.post("/SmSendPost.asp")
    async def smsendpost(request: Request) -> Response:
        """Legacy INI body, one `[key]` section a message (mitaketw/sms-java `transformRequest`)."""
        read = await parameters(request, form=False)
        charset = mitake.charset_of(request.scope["query_string"])
        try:
            sections = mitake.ini_sections((await request.body()).decode(charset))
        except UnicodeDecodeError:
            read = None
        if read is None:
            return answer(bad_charset, charset)
        drafts = [replace(Draft.of(values), clientid=key) for key, values in sections]
        sent = gateway.send(read[0], drafts, bulk=True, legacy=True, client_host=_client_host(request))
        return answer(sent, charset)

    @app.get("/api/v1/messages")
    def messages(to: str | None = None) -> list[dict[str, Any]]:
        return [m.to_wire() for m in gateway.find(to)]

    @app.get("/api/v1/messages/{message_id}")
    def message(message_id: int) -> dict[str, Any]:
        found = [m for m in gateway.find() if m.id == message_id]
        if not found:
            raise HTTPException(status_code=404, detail=f"no message {message_id}")
        return found[0].to_wire()

    @app.delete("/api/v1/messages")
    def delete_messages() -> dict[str, int]:
        return {"deleted": gateway.delete_all()}

    @app.get("/", response_class=HTMLResponse)
    def inbox() -> str:
        rows = [(m.received_at, m.to, m.status, m.body) for m in reversed(gateway.find())]
        return inbox_page("簡訊收件匣（三竹簡訊模擬）", ("時間", "手機", "狀態", "內容"), rows)

    return app


def _bulk_fields(record: list[str]) -> tuple[str, str, str, str, str, str]:
    """A `$$` record as Draft's fields: (dstaddr, smbody, clientid, destname, dlvtime, response)."""
    clientid, dstaddr, dlvtime, _vldtime, destname, response, smbody = (record + [""] * 7)[:7]
    return dstaddr, smbody, clientid, destname, dlvtime, response
