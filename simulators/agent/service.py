"""The security agent (安控元件) as the portal's pages reach it: HiPKI LocalSignServer-compatible (PROTOCOLS.md §2).

`GET /` (`version:<a.b.c.d>`), `GET|POST /pkcs11info[?withcert=true]`, `POST /sign` and `POST /decrypt` (form field
`tbsPackage`), `GET /popupForm` (the postMessage bridge), `GET /addDomain?domain=`. Every protocol outcome is HTTP 200
with `ret_code`/`last_error`, as the real agent answers.

Trusted sites (our reading of the integrator samples): a request carrying an Origin not on the list gets
0x76000031 until `/addDomain` adds it, after the user confirms on the agent's own page. A request with no Origin (a
native client) is served. XHRs from /popupForm come from the agent's own origin, so the bridge passes the opener's
origin along as the form field `origin`, and that is the site checked. CORS and Private Network Access preflights
are answered only when enabled in AgentSettings (the real agent sends no CORS headers) and only for trusted origins.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from simulators._control import control_router
from simulators._faults import FaultBook
from simulators._secrets import mask_fields
from simulators.agent import pages
from simulators.agent.cms import signed_data
from simulators.agent.codes import AgentError, Minor, Ret
from simulators.agent.faults import AgentFault
from simulators.agent.tokens import CardTransport, check_validity, decipher, login, read_token, sign_digest

FUNC_OF = {"/pkcs11info": "pkcs11info", "/sign": "sign", "/decrypt": "decrypt"}


class Crashed(Exception):
    """The CRASH fault: the agent process dies in the middle of a signature."""


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """How this build of the agent behaves."""

    version: str = "1.3.4.103349"  # the version integrators saw (PROTOCOLS.md §2.1)
    library: str = "TPCD MOICA PKCS#11 (simulated)"
    cors: bool = False  # answer CORS and PNA preflights for trusted origins (the real agent sends no CORS headers)
    going_seconds: float = 5.0  # a page used the agent within this long: the tray shows Going


@dataclass
class AgentState:
    """What the running agent knows: trusted sites, faults, the request log and when a page last used it."""

    settings: AgentSettings
    transport: CardTransport
    trusted: set[str] = field(default_factory=set)
    log: list[dict[str, Any]] = field(default_factory=list)
    last_page_use: float = 0.0
    on_crash: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.faults = FaultBook({f.value for f in AgentFault})
        self.lock = threading.Lock()
        self.default_trusted = set(self.trusted)

    def reset(self) -> None:
        with self.lock:
            self.trusted = set(self.default_trusted)
            self.log.clear()
            self.last_page_use = 0.0

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"trusted": sorted(self.trusted), "requests": list(self.log), "version": self.settings.version}

    @property
    def going(self) -> bool:
        return time.monotonic() - self.last_page_use < self.settings.going_seconds


def _hostname(origin: str) -> str:
    return urlparse(origin).hostname or ""


def create_app(agent: AgentState) -> FastAPI:
    """The agent's local HTTP API as an ASGI app."""
    app = FastAPI(title="安控元件 (HiPKI LocalSignServer-compatible) simulator", docs_url=None, redoc_url=None)
    app.state.agent = agent
    app.include_router(control_router(agent.faults, agent.state, agent.reset))

    def own_origin(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def caller(request: Request, form_origin: str) -> str | None:
        """The calling site's origin, or None for a native client."""
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            return form_origin or None
        return form_origin or None if origin == own_origin(request) else origin

    def cors_headers(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin", "")
        if not agent.settings.cors or _hostname(origin) not in agent.trusted:
            return {}
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if request.headers.get("access-control-request-private-network") == "true":
            headers["Access-Control-Allow-Private-Network"] = "true"
        return headers

    def answer(request: Request, func: str, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"func": func, **body, "version": agent.settings.version}, headers=cors_headers(request))

    @app.options("/{path:path}")
    def preflight(request: Request, path: str) -> Response:
        headers = cors_headers(request)
        if headers:
            headers |= {"Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type"}
        return Response(status_code=204 if headers else 403, headers=headers)

    @app.get("/")
    def version() -> Response:
        return Response(f"HiPKI LocalSignServer (tpcd-harness simulator) version:{agent.settings.version}\n",
                        media_type="text/plain")  # fmt: skip

    async def handle(request: Request, path: str) -> JSONResponse:
        func = FUNC_OF[path]
        form = await request.form() if request.method == "POST" else {}
        raw_package = str(form.get("tbsPackage", "") or "")
        site = caller(request, str(form.get("origin", "") or ""))
        try:
            package = json.loads(raw_package) if raw_package else {}
            if not isinstance(package, dict):
                raise ValueError
        except ValueError:
            return answer(request, func, {"ret_code": Ret.BAD_JSON, "last_error": 0})
        with agent.lock:
            agent.log.append({"at": time.time(), "path": path, "origin": site, "package": mask_fields(package)})
            trusted = site is None or _hostname(site) in agent.trusted
            if site is not None and trusted:
                agent.last_page_use = time.monotonic()  # a page is using the agent: the tray shows Going
        if site is not None and not trusted:
            return answer(request, func, {"ret_code": Ret.UNTRUSTED_SITE, "last_error": 0,
                                          "message": f"{_hostname(site)}非信任網站，請先加入信任網站"})  # fmt: skip
        slow = agent.faults.take(among={AgentFault.SLOW.value})
        if slow is not None:
            await asyncio.sleep(slow.seconds or 5.0)
        try:
            body = await asyncio.to_thread(work, path, request.query_params.get("withcert") == "true", package)
        except AgentError as error:
            body = {"ret_code": error.ret, "last_error": error.last}
        except Crashed:
            if agent.on_crash is not None:
                agent.on_crash()  # the listener shuts down; this request never gets its answer
            await asyncio.sleep(3600)
        return answer(request, func, body)

    def work(path: str, with_certs: bool, package: dict[str, Any]) -> dict[str, Any]:
        """The agent's real work, in a worker thread: PC/SC calls block."""
        if agent.faults.take(among={AgentFault.NO_READER.value}) is not None:
            readers: list[str] = []
        else:
            readers = agent.transport.readers()
        if path == "/pkcs11info":
            return {"ret_code": 0, "last_error": 0, **pkcs11info(readers, with_certs)}
        cancelled = agent.faults.take(among={AgentFault.USER_CANCELLED.value, AgentFault.TIMEOUT.value})
        if cancelled is not None:
            raise AgentError(Ret.CANCELLED if cancelled.fault == AgentFault.USER_CANCELLED else Ret.TIMEOUT)
        return sign(readers, package) if path == "/sign" else decrypt(readers, package)

    def pkcs11info(readers: list[str], with_certs: bool) -> dict[str, Any]:
        slots = []
        for reader in readers:
            slot: dict[str, Any] = {"slotDescription": reader, "token": None}
            try:
                with agent.transport.session(reader) as session:
                    token = read_token(session)
            except AgentError:
                slots.append(slot)
                continue
            slot["token"] = {"serialNumber": token.card_number, "label": "MOICA", "manufacturerID": "tpcd-harness",
                             "model": "MOICA (simulated)"}  # fmt: skip
            if with_certs:
                slot["token"]["certs"] = [c.describe() for c in token.certificates]
            slots.append(slot)
        return {"serverVersion": agent.settings.version, "libraryDescription": agent.settings.library,
                "libraryVersion": "1.0", "slots": slots}  # fmt: skip

    def choose_reader(readers: list[str], package: dict[str, Any]) -> str:
        if not readers:
            raise AgentError(Ret.NO_READER)
        wanted = package.get("slotDescription")
        if wanted:
            if wanted not in readers:
                raise AgentError(Ret.READER_INFO)
            return str(wanted)
        for reader in readers:  # the first reader holding a card, as a user with one card expects
            try:
                with agent.transport.session(reader):
                    return reader
            except AgentError:
                continue
        raise AgentError(Ret.NO_CARD)

    def pin_of(package: dict[str, Any]) -> str:
        pin = unquote(str(package.get("pin", "")))
        if not pin:
            raise AgentError(Ret.NO_PIN)
        if not 6 <= len(pin) <= 8:
            raise AgentError(Ret.LOGIN_FAILED, Minor.PIN_LEN_RANGE)
        if agent.faults.take(among={AgentFault.PLAIN_PIN_INCORRECT.value}) is not None:
            raise AgentError(Ret.LOGIN_FAILED, Minor.PIN_INCORRECT)
        return pin

    def sign(readers: list[str], package: dict[str, Any]) -> dict[str, Any]:
        if package.get("func", "MakeSignature") != "MakeSignature":
            raise AgentError(Ret.UNSUPPORTED)
        raw_tbs = package.get("tbs")
        if not raw_tbs:
            raise AgentError(Ret.NO_TBS)
        tbs_text = unquote(str(raw_tbs))
        encoding = str(package.get("tbsEncoding", "NONE") or "NONE").lower()
        try:
            tbs = base64.b64decode(tbs_text, validate=True) if encoding == "base64" else tbs_text.encode("utf-8")
        except ValueError as error:
            raise AgentError(Ret.BASE64_DECODE) from error
        if str(package.get("hashAlgorithm", "SHA256")).upper().replace("-", "") != "SHA256":
            raise AgentError(Ret.BAD_PARAMETER)
        kind = str(package.get("signatureType", "PKCS7")).upper()
        if kind not in ("PKCS1", "PKCS7"):
            raise AgentError(Ret.BAD_PARAMETER)
        pin = pin_of(package)
        reader = choose_reader(readers, package)
        with agent.transport.session(reader) as session:
            token = read_token(session)
            certificate = token.signing
            check_validity(certificate.cert)
            login(session, pin)
            if agent.faults.take(among={AgentFault.CRASH.value}) is not None:
                raise Crashed
            if kind == "PKCS1":
                signature = sign_digest(session, tbs)
            else:
                nonce = unquote(str(package.get("nonce", ""))).encode() or None
                with_sn = str(package.get("withCardSN", "false")).lower() == "true"
                signature = signed_data(tbs, base64.b64decode(certificate.describe()["certb64"]),
                                        lambda data: sign_digest(session, data), nonce=nonce,
                                        card_number=token.card_number if with_sn else None)  # fmt: skip
        return {"ret_code": 0, "last_error": 0, "signature": base64.b64encode(signature).decode(),
                "certb64": certificate.describe()["certb64"], "cardSN": token.card_number}  # fmt: skip

    def decrypt(readers: list[str], package: dict[str, Any]) -> dict[str, Any]:
        raw = package.get("cipher")
        if not raw:
            raise AgentError(Ret.NO_CIPHER)
        try:
            cryptogram = base64.b64decode(unquote(str(raw)), validate=True)
        except ValueError as error:
            raise AgentError(Ret.BASE64_DECODE) from error
        pin = pin_of(package)
        with agent.transport.session(choose_reader(readers, package)) as session:
            token = read_token(session)
            check_validity(token.certificates[1].cert)
            login(session, pin)
            plain = decipher(session, cryptogram)
        encoding = str(package.get("plainEncoding", "base64")).lower()
        as_text = encoding in ("none", "")
        shown = plain.decode("utf-8", errors="replace") if as_text else base64.b64encode(plain).decode()
        return {"ret_code": 0, "last_error": 0, "plain": shown}

    @app.api_route("/pkcs11info", methods=["GET", "POST"])
    async def pkcs11info_route(request: Request) -> JSONResponse:
        return await handle(request, "/pkcs11info")

    @app.post("/sign")
    async def sign_route(request: Request) -> JSONResponse:
        return await handle(request, "/sign")

    @app.post("/decrypt")
    async def decrypt_route(request: Request) -> JSONResponse:
        return await handle(request, "/decrypt")

    @app.get("/popupForm", response_class=HTMLResponse)
    def popup_form() -> str:
        return pages.POPUP_FORM

    @app.get("/addDomain", response_class=HTMLResponse)
    def add_domain_page(domain: str = "") -> str:
        return pages.add_domain(domain)

    @app.post("/addDomain")
    async def add_domain(request: Request) -> JSONResponse:
        form = await request.form()
        domain, decision = str(form.get("domain", "")), str(form.get("decision", ""))
        if decision != "yes" or not domain:
            return JSONResponse({"ret_code": Ret.CANCELLED, "last_error": 0})
        origin = request.headers.get("origin")
        if origin is not None and origin != own_origin(request):  # only the agent's own page, after the user said yes
            return JSONResponse({"ret_code": Ret.UNTRUSTED_SITE, "last_error": 0})
        with agent.lock:
            agent.trusted.add(domain)
        return JSONResponse({"ret_code": 0, "last_error": 0})

    return app
