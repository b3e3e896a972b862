"""Deliberately broken builds of our agent simulator, for the certification's mutation check (test-only).

Each flaw is a subclass overriding one decision of SecurityAgent (or of the desktop's agent process), so a flawed
build exists only here, never in a default build. Each names the requirements certify-agent must fail it on.
"""

from __future__ import annotations

import base64
import json
from contextlib import suppress
from typing import Any, ClassVar

from pkcs11 import TokenFlag
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulators.agent import Desktop, SecurityAgent
from simulators.agent.codes import AgentError, Minor, Ret
from simulators.agent.pkcs11 import Pkcs11Session, Pkcs11Transport
from simulators.agent.service import Call
from simulators.agent.tokens import login


class HostUnchecked(SecurityAgent):
    """Serves any Host: a DNS-rebinding page (Host and Origin its own name) passes for the agent's own page."""

    catches = frozenset({"AG-17"})

    def admits_host(self, host: str, *, bound_port: int | None) -> bool:
        return True


class NullOriginServed(SecurityAgent):
    """Takes `Origin: null` for a native client, as the agent did before issue #14."""

    catches = frozenset({"AG-18"})

    def calling_site(self, origin: str | None, form_origin: str, *, own_origin: str) -> str | None:
        if origin == "null":
            return form_origin or None
        return super().calling_site(origin, form_origin, own_origin=own_origin)


class FrameableConfirmation(SecurityAgent):
    """Sends its /addDomain confirmation page without frame-ancestors or X-Frame-Options."""

    catches = frozenset({"AG-19"})
    CONFIRMATION_HEADERS: ClassVar[dict[str, str]] = {}


class PinBeforeSiteCheck(SecurityAgent):
    """Verifies the PIN it was sent before it refuses an untrusted site: any page can spend (and lock) the tries."""

    catches = frozenset({"AG-20"})

    def admit(self, call: Call, tbs_package: str, *, site: str | None) -> dict[str, Any]:
        try:
            return super().admit(call, tbs_package, site=site)
        except AgentError as refusal:
            if refusal.ret == Ret.UNTRUSTED_SITE:
                pin = str(json.loads(tbs_package or "{}").get("pin", ""))
                readers = self.transport.readers()
                if pin and readers:
                    with suppress(AgentError), self.transport.session(self._reader(readers, {})) as session:
                        login(session, pin)
            raise


class TrustsEverySite(SecurityAgent):
    """Serves every page as if it were trusted."""

    catches = frozenset({"AG-12", "AG-15", "AG-17", "AG-18", "AG-20"})

    def calling_site(self, origin: str | None, form_origin: str, *, own_origin: str) -> str | None:
        return None


class DropsTriesLeft(SecurityAgent):
    """Answers every wrong PIN with the plain 0xA0, never the tries-left codes."""

    catches = frozenset({"AG-07"})

    def sign(self, package: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().sign(package)
        except AgentError as error:
            if error.last in (Minor.TWO_TRIES_LEFT, Minor.ONE_TRY_LEFT):
                raise AgentError(Ret.LOGIN_FAILED, Minor.PIN_INCORRECT) from error
            raise


class _ReadsCountLowOnly(Pkcs11Session):
    """Takes "two tries left" only from CKF_USER_PIN_COUNT_LOW, which OpenSC's PIV driver never sets."""

    def tries_left(self) -> AgentError:
        found = super().tries_left()
        if found.last == Minor.TWO_TRIES_LEFT and not self.token.slot.get_token().flags & TokenFlag.USER_PIN_COUNT_LOW:
            return AgentError(Ret.LOGIN_FAILED, Minor.PIN_INCORRECT)
        return found


class CountLowOnly(Pkcs11Transport):
    """A PKCS#11 backend reading the tries left from the count-low flag alone: a first wrong PIN answers the plain
    0xA0 instead of 0x80000002 on a card whose middleware does not set that flag."""

    catches = frozenset({"AG-07"})
    session_class = _ReadsCountLowOnly


class SignsOtherBytes(SecurityAgent):
    """Signs something other than what it was given (one byte more)."""

    catches = frozenset({"AG-04", "AG-05", "AG-06", "AG-14", "AG-25"})

    def sign(self, package: dict[str, Any]) -> dict[str, Any]:
        tbs = str(package.get("tbs", ""))
        if tbs and str(package.get("tbsEncoding", "")).lower() == "base64":
            with suppress(ValueError):
                tbs = base64.b64encode(base64.b64decode(tbs, validate=True) + b"!").decode()
        elif tbs:
            tbs += "!"
        return super().sign({**package, "tbs": tbs})


class ErrorsAsHttp500(Desktop):
    """An agent process that answers every refusal (ret_code other than 0) with HTTP 500."""

    catches = frozenset({"AG-11"})

    def agent_app(self) -> ASGIApp:
        return _Refusals(super().agent_app(), status=500)


class EmptyFieldsOnRefusal(Desktop):
    """Not a flaw: an agent whose refusals carry every answer field, empty (`"signature": ""`, `"certb64": ""`), as
    agents built on strict client parsers do. A refusal is a refusal by its ret_code: it must pass everything."""

    catches: frozenset[str] = frozenset()
    EMPTY: ClassVar[dict[str, str]] = {"signature": "", "certb64": "", "cardSN": "", "plain": ""}

    def agent_app(self) -> ASGIApp:
        return _Refusals(super().agent_app(), added=self.EMPTY)


class _Refusals:
    """Rewrite the JSON answers whose ret_code is not 0: another HTTP status, or fields added (the rest as it was)."""

    def __init__(self, app: ASGIApp, *, status: int | None = None, added: dict[str, str] | None = None) -> None:
        self.app, self.status, self.added = app, status, added or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                start, *body = held
                try:
                    answer = json.loads(b"".join(part.get("body", b"") for part in body) or b"null")
                except ValueError:
                    answer = None
                if isinstance(answer, dict) and answer.get("ret_code", 0) != 0:
                    if self.status is not None:
                        start = {**start, "status": self.status}
                    if self.added:
                        content = json.dumps({**self.added, **answer}).encode()
                        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                        start = {**start, "headers": [*headers, (b"content-length", str(len(content)).encode())]}
                        body = [{"type": "http.response.body", "body": content}]
                for part in (start, *body):
                    await send(part)

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, hold)
