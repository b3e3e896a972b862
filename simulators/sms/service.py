"""Mitake SmSend-compatible gateway (PROTOCOLS.md §7): what the portal sends its one-time codes through.

Protocol surface: `POST /api/mtk/SmSend` and `/b2c/mtk/SmSend`, form fields as Mitake documents them, `CharsetURL`
(Big5 when absent), 0x06 as the newline in `smbody`, `clientid` answered from the first result with `Duplicate=Y`
for 12 h, and the delivery report GET to `response`, retried until the receiver answers `magicid=sms_gateway_rpack`.
Read side: `GET /api/v1/messages[?to=…]`, `GET /api/v1/messages/{id}`, `DELETE /api/v1/messages`, an HTML inbox at `/`.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import requests
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from simulators._control import Simulator, simulator_app
from simulators._faults import ArmedFault
from simulators._inbox import inbox_page
from simulators.sms.faults import ACCOUNT_LEVEL, STATUS_TEXT, STATUSCODE_FAULTS, UNREACHABLE_MOBILE, SmsFault
from simulators.sms.models import DELIVERED, SmsMessage

TAIPEI = ZoneInfo("Asia/Taipei")
MOBILE = re.compile(r"09\d{8}")
DUPLICATE_WINDOW = timedelta(hours=12)
RPACK = "magicid=sms_gateway_rpack"


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """The account the portal is configured with, and how hard delivery reports are retried."""

    username: str = "tpcd"
    password: str = "tpcd-sms-secret"
    account_points: int = 100_000
    callback_attempts: int = 5
    callback_interval: float = 0.2


class SmsGateway(Simulator[SmsSettings]):
    """The gateway's state: accepted messages, points left, clientid memory and delivery-report attempts."""

    fault_enum = SmsFault

    def __init__(self, settings: SmsSettings) -> None:
        self._ids = itertools.count(1)  # never restarted: a delivery timer from before a reset finds no message
        super().__init__(settings)

    def reset(self) -> None:
        """Empty inbox, full points, no memory of clientids."""
        with self.lock:
            self.messages: list[SmsMessage] = []
            self.points = self.settings.account_points
            self.clientids: dict[str, tuple[datetime, str]] = {}
            self.callbacks: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"messages": len(self.messages), "account_points": self.points, "callbacks": list(self.callbacks)}

    def accept(self, fields: dict[str, str]) -> str:
        """Validate one SmSend request and answer in Mitake's INI-like reply (without the charset)."""
        if not fields.get("username"):
            return _error("c")
        if not fields.get("password"):
            return _error("d")
        if (fields["username"], fields["password"]) != (self.settings.username, self.settings.password):
            return _error("e")
        dstaddr, body, clientid = fields.get("dstaddr", ""), fields.get("smbody", ""), fields.get("clientid", "")
        now = datetime.now(TAIPEI)
        with self.lock:
            if clientid and clientid in self.clientids:
                first, reply = self.clientids[clientid]
                if now - first < DUPLICATE_WINDOW:
                    return reply + "Duplicate=Y\r\n"
        fault = self.faults.take(dstaddr, among={f.value for f in STATUSCODE_FAULTS})
        if fault is not None:
            return _error(fault.fault)
        if not MOBILE.fullmatch(dstaddr):
            return _error("v")
        if not body.strip():
            return _error("u")
        with self.lock:
            if self.points < 1:
                return _error("s")
            self.points -= 1
            number = next(self._ids)
            message = SmsMessage(
                id=number,
                msgid=f"{number:010d}",
                to=dstaddr,
                body=body.replace("\x06", "\n"),  # Mitake's newline on the wire
                destname=fields.get("destname", ""),
                clientid=clientid,
                received_at=now.isoformat(timespec="milliseconds"),
            )
            self.messages.append(message)
            reply = f"[1]\r\nmsgid=#{message.msgid}\r\nstatuscode=1\r\nAccountPoint={self.points}\r\n"
            if clientid:
                self.clientids[clientid] = (now, reply)
        self._schedule_delivery(message, fields.get("response", ""))
        return reply

    def _schedule_delivery(self, message: SmsMessage, report_url: str) -> None:
        fault = self.faults.take(message.to, among={SmsFault.DELAY.value, SmsFault.NEVER_DELIVER.value})
        if message.to == UNREACHABLE_MOBILE or (fault is not None and fault.fault == SmsFault.NEVER_DELIVER):
            return
        delay = (fault.seconds or 3.0) if fault is not None else 0.0
        timer = threading.Timer(delay, self._deliver, args=(message.id, report_url))
        timer.daemon = True
        timer.start()

    def _deliver(self, message_id: int, report_url: str) -> None:
        with self.lock:
            for index, message in enumerate(self.messages):
                if message.id == message_id:
                    self.messages[index] = delivered = replace(message, status=DELIVERED)
                    break
            else:
                return  # reset (or deleted) while it was on its way
        if report_url:
            self._report(delivered, report_url)

    def _report(self, message: SmsMessage, url: str) -> None:
        """GET the delivery report until the receiver acknowledges it (PROTOCOLS.md §7.4)."""
        stamp = datetime.fromisoformat(message.received_at).strftime("%Y%m%d%H%M%S")
        params = {
            "msgid": message.msgid,
            "dstaddr": message.to,
            "dlvtime": stamp,
            "donetime": datetime.now(TAIPEI).strftime("%Y%m%d%H%M%S"),
            "statusstr": DELIVERED,
            "statuscode": "0",
            "StatusFlag": "4",
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

    def find(self, to: str | None = None) -> list[SmsMessage]:
        """The accepted messages (to one number), oldest first."""
        with self.lock:
            return [m for m in self.messages if to is None or m.to == to]

    def delete_all(self) -> int:
        """Empty the inbox (points and clientid memory stay); how many messages went."""
        with self.lock:
            count = len(self.messages)
            self.messages.clear()
        return count


def _error(code: str) -> str:
    line = f"statuscode={code}\r\nError={STATUS_TEXT.get(code, '')}\r\n"
    return line if code in ACCOUNT_LEVEL else "[1]\r\n" + line


def _charset(request: Request) -> str:
    declared = request.query_params.get("CharsetURL", "").upper().replace("-", "")
    return "utf-8" if declared == "UTF8" else "big5"


def create_app(settings: SmsSettings | None = None) -> FastAPI:
    """The gateway as an ASGI app."""
    gateway = SmsGateway(settings or SmsSettings())
    app = simulator_app("Mitake SMS gateway simulator", gateway)

    async def transport_fault(dstaddr: str) -> Response | None:
        fault: ArmedFault | None = gateway.faults.take(dstaddr, among={SmsFault.HTTP_500.value, SmsFault.HANG.value})
        if fault is None:
            return None
        if fault.fault == SmsFault.HANG:
            await asyncio.sleep(fault.seconds or 30.0)
        return Response(status_code=500)

    @app.post("/api/mtk/SmSend")
    @app.post("/b2c/mtk/SmSend")
    async def smsend(request: Request) -> Response:
        charset = _charset(request)
        raw = (await request.body()).decode("latin-1")
        try:
            fields = dict(parse_qsl(raw, keep_blank_values=True, encoding=charset, errors="strict"))
        except UnicodeDecodeError:
            fields = None
        if fields is None:
            reply = "[1]\r\nstatuscode=5\r\nError=內容有錯誤\r\n"  # 5: 內容有錯誤 (body not in the declared charset)
        else:
            failed = await transport_fault(fields.get("dstaddr", ""))
            if failed is not None:
                return failed
            reply = gateway.accept(fields)
        return Response(reply.encode(charset), media_type=f"text/plain; charset={charset}")

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
