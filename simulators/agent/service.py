"""The security agent (安控元件) as the portal's pages reach it: HiPKI LocalSignServer-compatible
(docs/protocols/hipki-agent.md).

`GET /` (`version:<a.b.c.d>`), `GET|POST /pkcs11info[?withcert=true]`, `GET /p11Image.bmp` (the same answer in a
BMP, p11image.py), `POST /sign` and `POST /decrypt` (form field `tbsPackage`), `GET /popupForm` (the postMessage
bridge), `GET /addDomain?domain=`. Every protocol outcome is HTTP 200 with `ret_code`/`last_error`, as the real agent
answers. `SecurityAgent` does the work and is tested without HTTP; `create_app` maps routes to its methods and answers
in HiPKI's shapes.

Answer shapes, each replayed from the integrators' own code in tests/simulators/agent/test_integrators.py:
- codes are signed 32-bit JSON numbers (codes.py); `func`, `ret_code`, `last_error` and `version` in every answer;
  /sign adds `signature`, `certb64`, `cardSN` (zkID's `CardSignResponse` requires all seven).
- /pkcs11info: `serverVersion` on GET and POST (zkID `web/src/hipki-client.ts`: "Present on both GET + POST"), and
  `slots` always an array (zkID's `requestPkcs11Info` throws without one); a tbsPackage `slotDescription` scopes it
  to that reader (zkID `popupPkcs11Info`: "pass `slotDescription` to scope to a specific reader"). A slot's `token`
  is absent for an empty reader and the string "unknown token" for a card the library cannot read (both seen in
  integrator sample code, docs/protocols/hipki-agent.md#responses; which condition gives which is our choice). Every
  parser we know treats
  both as "no card": the samples' `slots[index].token instanceof Object`, zkID's detector `s.token &&
  s.token.serialNumber`, zkID's serde `#[serde(default)] token: Option<…>` (for the absent key).
- with `withcert=true`, the token's `certs` begin with the issuing CA's certificate (tokens.py).
- `GET /` carries `version:<a.b.c.d>` for the admin scripts' regex `version:(?<version>[\\d\\.]+)`
  (docs/protocols/hipki-agent.md#identity).

Trusted sites (our reading of the integrator samples): a request carrying an Origin not on the list gets
0x76000031 until `/addDomain` adds it, after the user confirms on the agent's own page. A request with no Origin (a
native client) is served. XHRs from /popupForm come from the agent's own origin, so the bridge passes the opener's
origin along as the form field `origin`, and that is the site checked. CORS and Private Network Access preflights
are answered only when enabled in AgentSettings (the real agent sends no CORS headers) and only for trusted origins.

Admission (issue #14, hardening the reading above): a request whose Host is not one of the agent's own loopback names
and ports is refused with HTTP 403 before anything else, since a DNS-rebinding page sends its own name as Host and as
Origin and would otherwise pass for the agent's own page; `Origin: null` (a sandboxed frame, a file page) is an
untrusted site, not a native client; the /addDomain confirmation page may not be framed, so no other site can
clickjack the user's [是].
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar
from urllib.parse import unquote, urlparse

from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.masking import mask_fields
from simulators.agent import hostile, p11image, pages
from simulators.agent.cms import signed_data
from simulators.agent.codes import AgentError, Minor, Ret
from simulators.agent.faults import AgentFault, Lie
from simulators.agent.models import AgentRequest
from simulators.agent.tokens import (
    CardSession,
    CardTransport,
    LibrarySession,
    check_validity,
    decipher,
    login,
    read_token,
    sign_digest,
)
from simulators.card.issuer import CardIssuer
from simulators.control import control_router
from simulators.faults import FaultBook

UNKNOWN_TOKEN = "unknown token"  # a slot's `token` when the card in it is not one the library can read


class Call(StrEnum):
    """The agent's calls, each named as the `func` its answer carries (docs/protocols/hipki-agent.md#responses)."""

    PKCS11INFO = "pkcs11info"
    SIGN = "sign"
    DECRYPT = "decrypt"


class AgentCrashed(Exception):
    """The CRASH fault: the agent process dies in the middle of a signature; whoever runs it drops its connections."""


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """How this build of the agent behaves."""

    version: str = "1.3.4.103349"  # the version integrators saw (docs/protocols/hipki-agent.md#identity)
    library: str = "TPCD MOICA PKCS#11 (simulated)"
    cors: bool = False  # answer CORS and PNA preflights for trusted origins (the real agent sends no CORS headers)
    going_seconds: float = 5.0  # a page used the agent within this long: the tray shows Going
    # The port pages reach the agent on, when a browser maps it onto the bound one (Chromium's --host-resolver-rules
    # keeps `Host: 127.0.0.1:61161`); 0: the bound port. Either is accepted in the Host header.
    public_port: int = 0


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost"})  # the agent in pages (docs/protocols/hipki-agent.md#identity)


class SecurityAgent:
    """The running agent: trusted sites, armed faults, the request log, and its work on the card in HiPKI's terms.

    A call returns the body of a successful answer or raises AgentError carrying the ret_code/last_error to answer.
    PC/SC calls block: the HTTP layer runs them in a worker thread.
    """

    # The confirmation page refuses every frame (CSP Level 2 frame-ancestors; X-Frame-Options, RFC 7034, for browsers
    # without it): a site framing it could otherwise lure the user into pressing [是] for that site.
    CONFIRMATION_HEADERS: ClassVar[dict[str, str]] = {
        "Content-Security-Policy": "frame-ancestors 'none'",
        "X-Frame-Options": "DENY",
    }

    def __init__(
        self,
        settings: AgentSettings,
        transport: CardTransport,
        *,
        trusted: Iterable[str] = (),
        issuer: CardIssuer | None = None,
    ) -> None:
        self.settings, self.transport = settings, transport
        self.issuer = issuer  # the card's CA: where a lie gets another card's certificate and key (hostile.py)
        if issuer is not None:  # an agent that may be told to lie: its own keys made ahead, off the signing path
            threading.Thread(target=hostile.warm, name="agent-own-keys", daemon=True).start()
        self.faults = FaultBook({f.value for f in (*AgentFault, *Lie)})
        self._installed_trust = frozenset(trusted)
        self._lock = threading.Lock()
        self._card = threading.RLock()  # one conversation with the card at a time (_session)
        self.reset()

    def reset(self) -> None:
        """As installed: only the sites it came with trusted, nothing logged, no page using it."""
        with self._lock:
            self._trusted = set(self._installed_trust)
            self._requests: list[AgentRequest] = []
            self._last_page_use = -math.inf
            self._last_signed: dict[str, Any] | None = None  # the previous successful /sign answer (REPLAYED_ANSWER)

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

    def admits_host(self, host: str, *, bound_port: int | None) -> bool:
        """Whether a request's Host names this agent: a loopback name on its bound or public port (DNS rebinding)."""
        name, _, port = host.lower().rpartition(":")
        ports = {p for p in (bound_port, self.settings.public_port) if p}
        return name in LOOPBACK_NAMES and port.isdigit() and int(port) in ports

    def calling_site(self, origin: str | None, form_origin: str, *, own_origin: str) -> str | None:
        """The site a call comes from, None for a native client: the page's Origin, `null` included (a sandboxed frame
        or a file page, RFC 6454 §7.3: an untrusted site); for the agent's own /popupForm, the opener's origin it
        passes along as `form_origin`."""
        if origin is None or origin == own_origin:
            return form_origin or None
        return origin

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
            raise AgentError(Ret.UNTRUSTED_SITE, message=f"{_hostname(site) or site}非信任網站，請先加入信任網站")
        return package

    def answer_delay(self) -> float:
        """How many seconds late this answer comes: the SLOW fault's (5 unless armed with others), else none."""
        slow = self.faults.take(among={AgentFault.SLOW.value})
        return 0.0 if slow is None else slow.seconds or 5.0

    def pkcs11info(self, *, with_certs: bool = False, reader: str | None = None) -> dict[str, Any]:
        """CheckEnvir / GetUserCert: every reader (or just `reader`), the card in each, its certificates if asked."""
        readers = [name for name in self._readers() if reader in (None, name)]
        slots = [{"slotDescription": name, **self._token(name, with_certs)} for name in readers]
        return {
            "ret_code": Ret.OK,
            "last_error": Minor.NONE,
            "serverVersion": self.settings.version,
            "libraryDescription": self.settings.library,
            "libraryVersion": "1.0",
            "slots": slots,
        }

    def sign(self, package: dict[str, Any]) -> dict[str, Any]:
        """MakeSignature: PKCS#1 or CMS SignedData over `tbs`, by the card (docs/protocols/hipki-agent.md#requests)."""
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
        with self._session(self._reader(readers, package)) as session:
            token = read_token(session)
            certificate = token.signing
            check_validity(certificate.cert)
            login(session, pin)
            if self.faults.take(among={AgentFault.CRASH.value}) is not None:
                raise AgentCrashed
            lie = self.faults.take(among={lie.value for lie in Lie})
            with self._lock:
                replayed = self._last_signed
            if lie is not None and lie.fault == Lie.REPLAYED_ANSWER and replayed is not None:
                return dict(replayed)

            def card_sign(data: bytes) -> bytes:
                return sign_digest(session, data)

            told = hostile.Claim(certificate.cert, card_sign)
            if lie is not None and lie.fault != Lie.REPLAYED_ANSWER:
                told = hostile.claim(Lie(lie.fault), certificate.cert, card_sign, self.issuer)
            cert_der = told.cert.public_bytes(serialization.Encoding.DER)
            if kind == "PKCS1":
                signature = told.sign(tbs)
            else:
                nonce = unquote(str(package.get("nonce", ""))).encode() or None
                with_sn = str(package.get("withCardSN", "false")).lower() == "true"
                signature = signed_data(
                    tbs, cert_der, told.sign, nonce=nonce, card_number=token.card_number if with_sn else None
                )
        answer = {
            "ret_code": Ret.OK,
            "last_error": Minor.NONE,
            "signature": base64.b64encode(signature).decode(),
            "certb64": base64.b64encode(cert_der).decode(),
            "cardSN": token.card_number,
        }
        with self._lock:
            self._last_signed = dict(answer)
        return answer

    def decrypt(self, package: dict[str, Any]) -> dict[str, Any]:
        """DecryptData: PKCS#1 v1.5 `cipher` opened by the card's key (docs/protocols/hipki-agent.md#requests)."""
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
        with self._session(self._reader(readers, package)) as session:
            token = read_token(session)
            check_validity(token.encryption.cert)
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

    def _token(self, reader: str, with_certs: bool) -> dict[str, Any]:
        """The `token` of `reader`'s slot: no key for an empty reader, "unknown token" for a card it cannot read."""
        try:
            with self._session(reader) as session:
                token = read_token(session)
        except AgentError as error:
            return {} if error.ret == Ret.NO_CARD else {"token": UNKNOWN_TOKEN}
        listed: dict[str, Any] = {
            "serialNumber": token.card_number,
            "label": "MOICA",
            "manufacturerID": "tpcd-harness",
            "model": "MOICA (simulated)",
        }
        if with_certs:
            listed["certs"] = [certificate.describe() for certificate in token.certificates]
        return {"token": listed}

    @contextmanager
    def _session(self, reader: str) -> Iterator[CardSession | LibrarySession]:
        """A conversation with the card in `reader`, after any other has ended: a page asks CheckEnvir while the
        citizen already signs, and two PC/SC connections to one card break each other (the one that disconnects
        powers the card down, the other's next APDU fails as SCARD_W_RESET_CARD): requests take the card in turn."""
        with self._card, self.transport.session(reader) as session:
            yield session

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
                with self._session(reader):
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
    app.add_middleware(OwnHostOnly, agent=agent)
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

    def listing(with_certs: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """The work of one /pkcs11info call: its certificates or not, scoped by the package's slotDescription."""

        def work(package: dict[str, Any]) -> dict[str, Any]:
            return agent.pkcs11info(with_certs=with_certs, reader=package.get("slotDescription") or None)

        return work

    @app.api_route("/pkcs11info", methods=["GET", "POST"])
    async def pkcs11info(request: Request) -> Response:
        with_certs = request.query_params.get("withcert") == "true"
        return await _call(agent, request, Call.PKCS11INFO, listing(with_certs), on_crash)

    @app.get("/p11Image.bmp")
    async def p11_image(request: Request) -> Response:
        answer = await _answer(agent, request, Call.PKCS11INFO, listing(False), on_crash)
        if answer is None:
            return Response(status_code=500)  # never sent: the agent died (see _call)
        headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}  # p11image.py says why
        return Response(p11image.paint(answer), media_type="image/bmp", headers=headers)

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
    def add_domain_page(domain: str = "") -> HTMLResponse:
        return HTMLResponse(pages.add_domain(domain), headers=agent.CONFIRMATION_HEADERS)

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


async def _answer(
    agent: SecurityAgent,
    request: Request,
    call: Call,
    work: Callable[[dict[str, Any]], dict[str, Any]],
    on_crash: Callable[[], None],
) -> dict[str, Any] | None:
    """One call's answer body as HiPKI gives it, errors included; None if the agent died under it (CRASH)."""
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
        return None
    return {"func": call, **body, "version": agent.settings.version}


async def _call(
    agent: SecurityAgent,
    request: Request,
    call: Call,
    work: Callable[[dict[str, Any]], dict[str, Any]],
    on_crash: Callable[[], None],
) -> Response:
    """One call answered as HiPKI does: HTTP 200 with its ret_code/last_error, or nothing if the agent died."""
    answer = await _answer(agent, request, call, work, on_crash)
    if answer is None:
        return Response(status_code=500)  # never sent: the connection is already gone, as a dead process leaves it
    return JSONResponse(answer, headers=_cors_headers(agent, request))


async def _until_disconnected(request: Request) -> None:
    """Wait until the server has dropped this request's connection (ASGI's `http.disconnect`)."""
    while (await request.receive())["type"] != "http.disconnect":
        continue


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _calling_site(request: Request, form_origin: str) -> str | None:
    """The calling site's origin, or None for a native client; /popupForm passes its opener's as `form_origin`."""
    agent: SecurityAgent = request.app.state.agent
    return agent.calling_site(request.headers.get("origin"), form_origin, own_origin=_own_origin(request))


class OwnHostOnly:
    """Refuse, with HTTP 403, every request whose Host is not the agent's own (SecurityAgent.admits_host)."""

    def __init__(self, app: ASGIApp, agent: SecurityAgent) -> None:
        self.app, self.agent = app, agent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = Headers(scope=scope).get("host", "")
            server = scope.get("server")
            if not self.agent.admits_host(host, bound_port=server[1] if server else None):
                refusal = PlainTextResponse(f"Host {host!r} is not this agent's", status_code=403)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _cors_headers(agent: SecurityAgent, request: Request) -> dict[str, str]:
    """CORS and Private Network Access grants, only when the settings enable them and only for a trusted origin."""
    origin = request.headers.get("origin", "")
    if not agent.settings.cors or not agent.trusts(origin):
        return {}
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if request.headers.get("access-control-request-private-network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return headers
