"""The security agent (安控元件) as the portal's pages reach it: HiPKI LocalSignServer-compatible (PROTOCOLS.md §2).

`GET /` (`version:<a.b.c.d>`), `GET|POST /pkcs11info[?withcert=true]`, `POST /sign` and `POST /decrypt` (form field
`tbsPackage`), `GET /popupForm` (the postMessage bridge), `GET /addDomain?domain=`. Every protocol outcome is HTTP 200
with `ret_code`/`last_error`, as the real agent answers. `SecurityAgent` does the work and is tested without HTTP;
`create_app` maps routes to its methods and answers in HiPKI's shapes.

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
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlparse

from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from simulators._control import control_router
from simulators._faults import FaultBook
from simulators._secrets import mask_fields
from simulators.agent import pages
from simulators.agent.cms import signed_data
from simulators.agent.codes import AgentError, Minor, Ret
from simulators.agent.faults import AgentFault
from simulators.agent.models import AgentRequest
from simulators.agent.tokens import CardTransport, check_validity, decipher, login, read_token, sign_digest


class Call(StrEnum):
    """The agent's calls, each named as the `func` its answer carries (PROTOCOLS.md §2.5)."""

    PKCS11INFO = "pkcs11info"
    SIGN = "sign"
    DECRYPT = "decrypt"


class AgentCrashed(Exception):
    """The CRASH fault: the agent process dies in the middle of a signature; whoever runs it drops its connections."""


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """How this build of the agent behaves."""

    version: str = "1.3.4.103349"  # the version integrators saw (PROTOCOLS.md §2.1)
    library: str = "TPCD MOICA PKCS#11 (simulated)"
    cors: bool = False  # answer CORS and PNA preflights for trusted origins (the real agent sends no CORS headers)
    going_seconds: float = 5.0  # a page used the agent within this long: the tray shows Going
    # Where pages reach the agent when that is not where it listens: a browser that maps the standard
    # 127.0.0.1:61161 onto this agent's own port (several agents on one machine) keeps `Host: 127.0.0.1:61161`.
    public_url: str = ""


class SecurityAgent:
    """The running agent: trusted sites, armed faults, the request log, and its work on the card in HiPKI's terms.

    A call returns the body of a successful answer or raises AgentError carrying the ret_code/last_error to answer.
    PC/SC calls block: the HTTP layer runs them in a worker thread.
    """

    def __init__(self, settings: AgentSettings, transport: CardTransport, *, trusted: Iterable[str] = ()) -> None:
        self.settings, self.transport = settings, transport
        self.faults = FaultBook({f.value for f in AgentFault})
        self._installed_trust = frozenset(trusted)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """As installed: only the sites it came with trusted, nothing logged, no page using it."""
        with self._lock:
            self._trusted = set(self._installed_trust)
            self._requests: list[AgentRequest] = []
            self._last_page_use = -math.inf

    def state(self) -> dict[str, Any]:
        """Trusted sites, the request log (PINs masked) and the version, for `GET /_control/state`."""
        with self._lock:
            requests = [asdict(request) for request in self._requests]
            return {"trusted": sorted(self._trusted), "requests": requests, "version": self.settings.version}

    def requests(self) -> list[AgentRequest]:
        """Every call received since the last reset, PINs masked."""
        with self._lock:
            return list(self._requests)

    @property
    def going(self) -> bool:
        """Whether a page used the agent within `going_seconds`: the tray then shows Going."""
        with self._lock:
            return time.monotonic() - self._last_page_use < self.settings.going_seconds

    def trusted_sites(self) -> list[str]:
        """The trusted-site list: hostnames, as /addDomain adds them."""
        with self._lock:
            return sorted(self._trusted)

    def trusts(self, origin: str) -> bool:
        """Whether the site at `origin` (scheme://host[:port]) is trusted; the list holds hostnames."""
        with self._lock:
            return _hostname(origin) in self._trusted

    def trust(self, domain: str) -> None:
        """Put the hostname `domain` on the trusted-site list."""
        with self._lock:
            self._trusted.add(domain)

    def distrust(self, domain: str) -> None:
        """Take the hostname `domain` off the trusted-site list; LookupError if it is not on it."""
        with self._lock:
            if domain not in self._trusted:
                raise LookupError(f"{domain} is not trusted")
            self._trusted.remove(domain)

    def add_domain(self, domain: str, *, confirmed: bool, from_own_page: bool) -> None:
        """The user's answer on the agent's own /addDomain page: `domain` is trusted only after a yes given there."""
        if not confirmed or not domain:
            raise AgentError(Ret.CANCELLED)
        if not from_own_page:  # another page posting a yes for itself
            raise AgentError(Ret.UNTRUSTED_SITE)
        self.trust(domain)

    def admit(self, call: Call, tbs_package: str, *, site: str | None) -> dict[str, Any]:
        """Parse and log one call (PIN masked), then check the calling site; a native client (no site) is served."""
        try:
            package = json.loads(tbs_package) if tbs_package else {}
        except ValueError as error:
            raise AgentError(Ret.BAD_JSON) from error
        if not isinstance(package, dict):
            raise AgentError(Ret.BAD_JSON)
        with self._lock:
            self._requests.append(AgentRequest(time.time(), f"/{call}", site, mask_fields(package)))
            trusted = site is None or _hostname(site) in self._trusted
            if site is not None and trusted:
                self._last_page_use = time.monotonic()  # a page is using the agent: the tray shows Going
        if site is not None and not trusted:
            raise AgentError(Ret.UNTRUSTED_SITE, message=f"{_hostname(site)}非信任網站，請先加入信任網站")
        return package

    def answer_delay(self) -> float:
        """How many seconds late this answer comes: the SLOW fault's (5 unless armed with others), else none."""
        slow = self.faults.take(among={AgentFault.SLOW.value})
        return 0.0 if slow is None else slow.seconds or 5.0

    def pkcs11info(self, *, with_certs: bool = False) -> dict[str, Any]:
        """CheckEnvir / GetUserCert: the library, every reader and the card in it, with its certificates if asked."""
        slots = [{"slotDescription": reader, "token": self._token(reader, with_certs)} for reader in self._readers()]
        return {
            "ret_code": Ret.OK,
            "last_error": Minor.NONE,
            "serverVersion": self.settings.version,
            "libraryDescription": self.settings.library,
            "libraryVersion": "1.0",
            "slots": slots,
        }

    def sign(self, package: dict[str, Any]) -> dict[str, Any]:
        """MakeSignature: PKCS#1 or CMS SignedData over `tbs` with the card's signing key (PROTOCOLS.md §2.4)."""
        readers = self._readers()
        self._pin_dialog()
        if package.get("func", "MakeSignature") != "MakeSignature":
            raise AgentError(Ret.UNSUPPORTED)
        tbs = _to_be_signed(package)
        if str(package.get("hashAlgorithm", "SHA256")).upper().replace("-", "") != "SHA256":
            raise AgentError(Ret.BAD_PARAMETER)
        kind = str(package.get("signatureType", "PKCS7")).upper()
        if kind not in ("PKCS1", "PKCS7"):
            raise AgentError(Ret.BAD_PARAMETER)
        pin = self._pin(package)
        with self.transport.session(self._reader(readers, package)) as session:
            token = read_token(session)
            certificate = token.signing
            check_validity(certificate.cert)
            login(session, pin)
            if self.faults.take(among={AgentFault.CRASH.value}) is not None:
                raise AgentCrashed
            if kind == "PKCS1":
                signature = sign_digest(session, tbs)
            else:
                nonce = unquote(str(package.get("nonce", ""))).encode() or None
                with_sn = str(package.get("withCardSN", "false")).lower() == "true"
                signature = signed_data(
                    tbs,
                    certificate.cert.public_bytes(serialization.Encoding.DER),
                    lambda data: sign_digest(session, data),
                    nonce=nonce,
                    card_number=token.card_number if with_sn else None,
                )
        return {
            "ret_code": Ret.OK,
            "last_error": Minor.NONE,
            "signature": base64.b64encode(signature).decode(),
            "certb64": certificate.describe()["certb64"],
            "cardSN": token.card_number,
        }

    def decrypt(self, package: dict[str, Any]) -> dict[str, Any]:
        """DecryptData: PKCS#1 v1.5 `cipher` opened by the card's encryption key (PROTOCOLS.md §2.4)."""
        readers = self._readers()
        self._pin_dialog()
        raw = package.get("cipher")
        if not raw:
            raise AgentError(Ret.NO_CIPHER)
        try:
            cryptogram = base64.b64decode(unquote(str(raw)), validate=True)
        except ValueError as error:
            raise AgentError(Ret.BASE64_DECODE) from error
        pin = self._pin(package)
        with self.transport.session(self._reader(readers, package)) as session:
            token = read_token(session)
            check_validity(token.certificates[1].cert)
            login(session, pin)
            plain = decipher(session, cryptogram)
        as_text = str(package.get("plainEncoding", "base64")).lower() in ("none", "")
        shown = plain.decode("utf-8", errors="replace") if as_text else base64.b64encode(plain).decode()
        return {"ret_code": Ret.OK, "last_error": Minor.NONE, "plain": shown}

    def _readers(self) -> list[str]:
        """The readers PC/SC offers; none while the NO_READER fault holds (the reader is unplugged)."""
        if self.faults.take(among={AgentFault.NO_READER.value}) is not None:
            return []
        return self.transport.readers()

    def _pin_dialog(self) -> None:
        """The agent's PIN dialog: the user may close it (USER_CANCELLED) or let it time out (TIMEOUT)."""
        refused = self.faults.take(among={AgentFault.USER_CANCELLED.value, AgentFault.TIMEOUT.value})
        if refused is not None:
            raise AgentError(Ret.CANCELLED if refused.fault == AgentFault.USER_CANCELLED else Ret.TIMEOUT)

    def _token(self, reader: str, with_certs: bool) -> dict[str, Any] | None:
        """The card in `reader` as /pkcs11info lists it, or None for an empty reader or an unreadable card."""
        try:
            with self.transport.session(reader) as session:
                token = read_token(session)
        except AgentError:
            return None
        listed: dict[str, Any] = {
            "serialNumber": token.card_number,
            "label": "MOICA",
            "manufacturerID": "tpcd-harness",
            "model": "MOICA (simulated)",
        }
        if with_certs:
            listed["certs"] = [certificate.describe() for certificate in token.certificates]
        return listed

    def _reader(self, readers: list[str], package: dict[str, Any]) -> str:
        """The reader named by `slotDescription`, else the first one holding a card, as a user with one card expects."""
        if not readers:
            raise AgentError(Ret.NO_READER)
        wanted = package.get("slotDescription")
        if wanted:
            if wanted not in readers:
                raise AgentError(Ret.READER_INFO)
            return str(wanted)
        for reader in readers:
            try:
                with self.transport.session(reader):
                    return reader
            except AgentError:
                continue
        raise AgentError(Ret.NO_CARD)

    def _pin(self, package: dict[str, Any]) -> str:
        """The PIN as sent (URI-encoded by the samples), checked for length as the middleware does before VERIFY."""
        pin = unquote(str(package.get("pin", "")))
        if not pin:
            raise AgentError(Ret.NO_PIN)
        if not 6 <= len(pin) <= 8:
            raise AgentError(Ret.LOGIN_FAILED, Minor.PIN_LEN_RANGE)
        if self.faults.take(among={AgentFault.PLAIN_PIN_INCORRECT.value}) is not None:
            raise AgentError(Ret.LOGIN_FAILED, Minor.PIN_INCORRECT)
        return pin


def _hostname(origin: str) -> str:
    return urlparse(origin).hostname or ""


def _to_be_signed(package: dict[str, Any]) -> bytes:
    """`tbs` as bytes: URI-decoded, then base64-decoded when `tbsEncoding` says so, else UTF-8."""
    raw = package.get("tbs")
    if not raw:
        raise AgentError(Ret.NO_TBS)
    text, encoding = unquote(str(raw)), str(package.get("tbsEncoding", "NONE") or "NONE").lower()
    try:
        return base64.b64decode(text, validate=True) if encoding == "base64" else text.encode("utf-8")
    except ValueError as error:
        raise AgentError(Ret.BASE64_DECODE) from error


def create_app(agent: SecurityAgent, *, on_crash: Callable[[], None]) -> FastAPI:
    """The agent's local HTTP API as an ASGI app; `on_crash` kills the process serving it (the CRASH fault)."""
    app = FastAPI(title="安控元件 (HiPKI LocalSignServer-compatible) simulator", docs_url=None, redoc_url=None)
    app.state.agent = agent
    app.include_router(control_router(agent.faults, agent.state, agent.reset))

    @app.options("/{path:path}")
    def preflight(request: Request, path: str) -> Response:
        headers = _cors_headers(agent, request)
        if headers:
            headers |= {"Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type"}
        return Response(status_code=204 if headers else 403, headers=headers)

    @app.get("/")
    def version() -> Response:
        banner = f"HiPKI LocalSignServer (tpcd-harness simulator) version:{agent.settings.version}\n"
        return Response(banner, media_type="text/plain")

    @app.api_route("/pkcs11info", methods=["GET", "POST"])
    async def pkcs11info(request: Request) -> Response:
        with_certs = request.query_params.get("withcert") == "true"
        return await _call(agent, request, Call.PKCS11INFO, lambda _: agent.pkcs11info(with_certs=with_certs), on_crash)

    @app.post("/sign")
    async def sign(request: Request) -> Response:
        return await _call(agent, request, Call.SIGN, agent.sign, on_crash)

    @app.post("/decrypt")
    async def decrypt(request: Request) -> Response:
        return await _call(agent, request, Call.DECRYPT, agent.decrypt, on_crash)

    @app.get("/popupForm", response_class=HTMLResponse)
    def popup_form() -> str:
        return pages.POPUP_FORM

    @app.get("/addDomain", response_class=HTMLResponse)
    def add_domain_page(domain: str = "") -> str:
        return pages.add_domain(domain)

    @app.post("/addDomain")
    async def add_domain(request: Request) -> JSONResponse:
        form, origin = await request.form(), request.headers.get("origin")
        confirmed, from_own_page = form.get("decision") == "yes", origin in (None, _own_origin(request))
        try:
            agent.add_domain(str(form.get("domain", "")), confirmed=confirmed, from_own_page=from_own_page)
        except AgentError as error:
            return JSONResponse(error.answer())
        return JSONResponse({"ret_code": Ret.OK, "last_error": Minor.NONE})

    return app


async def _call(
    agent: SecurityAgent,
    request: Request,
    call: Call,
    work: Callable[[dict[str, Any]], dict[str, Any]],
    on_crash: Callable[[], None],
) -> Response:
    """One call answered as HiPKI does: HTTP 200 with its ret_code/last_error, or nothing if the agent died."""
    form = await request.form() if request.method == "POST" else {}
    site = _calling_site(request, str(form.get("origin", "") or ""))
    try:
        package = agent.admit(call, str(form.get("tbsPackage", "") or ""), site=site)
        delay = agent.answer_delay()
        if delay:
            await asyncio.sleep(delay)  # the SLOW fault: this answer comes late
        body = await asyncio.to_thread(work, package)  # PC/SC calls block
    except AgentError as error:
        body = error.answer()
    except AgentCrashed:
        on_crash()  # the process dies: its port closes and every open connection drops
        await _until_disconnected(request)
        return Response(status_code=500)  # never sent: the connection is already gone, as a dead process leaves it
    answer = {"func": call, **body, "version": agent.settings.version}
    return JSONResponse(answer, headers=_cors_headers(agent, request))


async def _until_disconnected(request: Request) -> None:
    """Wait until the server has dropped this request's connection (ASGI's `http.disconnect`)."""
    while (await request.receive())["type"] != "http.disconnect":
        continue


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _calling_site(request: Request, form_origin: str) -> str | None:
    """The calling site's origin, or None for a native client; /popupForm passes its opener's as `form_origin`."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return form_origin or None
    return form_origin or None if origin == _own_origin(request) else origin


def _cors_headers(agent: SecurityAgent, request: Request) -> dict[str, str]:
    """CORS and Private Network Access grants, only when the settings enable them and only for a trusted origin."""
    origin = request.headers.get("origin", "")
    if not agent.settings.cors or not agent.trusts(origin):
        return {}
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if request.headers.get("access-control-request-private-network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return headers
