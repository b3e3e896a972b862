"""The portal's agent pages in front of the agent under test, served from another origin, judged by the certifier.

What the certification checks in a browser is what a portal relies on: the portal's own 步驟一 and 步驟二 pages and the
script that talks to the agent, from the certifier's pinned copy (harness/certify/page, checked by SHA-256 before a
run) or, with --portal-page, the deployed portal's agent script fetched by URL around the same pages. Their two server
calls are answered here: POST /gold/nonce hands out a nonce, POST /gold/verify checks what the agent signed with the
certifier's own relying party (harness/certify/oracle.py): the full check when the card's CA chain is known (a card
under control), else the signature alone. The page object below drives them by role and label.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from playwright.sync_api import Page, expect
from pydantic import BaseModel

from harness.certify.oracle import Rejected, check_card, check_signature
from harness.certify.pinned import PAGE, check_page

DETECTING = "正在偵測安控元件…"  # gold.html's status before the script has an answer
# How HiPKI's check page and its integrators read /p11Image.bmp (docs/protocols/hipki-agent.md#endpoints,
# simulators/agent/p11image.py): a
# CORS image drawn on a 2000 x 1 canvas, three characters a pixel taken as (blue, green, red) until a pixel whose blue
# is 0, then JSON.parse; nothing read stands for 0x7600000D.
IMAGE_PROBE_PAGE = """<!doctype html><html><meta charset="utf-8"><title>image probe</title><script>
function readAgentImage(src) {
  return new Promise(function (resolve) {
    var img = document.createElement("img");
    img.crossOrigin = "Anonymous";
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = 2000; canvas.height = 1;
      var ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0);
      var output = "";
      for (var i = 0; i < 2000; i++) {
        var data = ctx.getImageData(i, 0, 1, 1).data;
        if (data[2] == 0) break;
        output = output + String.fromCharCode(data[2], data[1], data[0]);
      }
      try { resolve(output === "" ? {ret_code: 1979711501} : JSON.parse(output)); }
      catch (e) { resolve({error: "not JSON: " + output.slice(0, 200)}); }
    };
    img.onerror = function () { resolve({error: "the image did not load"}); };
    img.src = src;
  });
}
</script></html>"""
FRAMING_PAGE = """<!doctype html><html><meta charset="utf-8"><title>framing</title>
<iframe title="agent" width="600" height="400" src="{src}" onload="document.title = 'loaded'"></iframe></html>"""
DONE_PAGE = """<!doctype html><html lang="zh-Hant-TW"><meta charset="utf-8"><title>實名認證成功</title>
<h1>實名認證成功</h1></html>"""


@dataclass
class Expectation:
    """What the portal knows of the member whose card is in the reader."""

    id_number: str | None = None  # the member's 身分證字號; None: any well-formed one is typed, not compared
    chain_pem: bytes | None = None  # the CA chain to verify the card's certificate against; None: signature only


class SignedNonce(BaseModel):
    """What the portal's page posts back after the agent signed (page/agent.js)."""

    id_number: str
    nonce_id: int
    signature: str
    certb64: str


@dataclass(frozen=True, slots=True)
class PageSource:
    """Where the pages' script comes from: the pinned copy, or the deployed portal's by URL (with its digest)."""

    script: bytes
    url: str | None = None
    pinned: dict[str, str] = field(default_factory=dict)

    @property
    def described(self) -> dict[str, Any]:
        """For the verdict: which page the agent was judged with."""
        digest = hashlib.sha256(self.script).hexdigest()
        if self.url is None:
            return {"source": "pinned copy (harness/certify/page)", "sha256": self.pinned}
        return {"source": "deployed portal", "script_url": self.url, "script_sha256": digest, "sha256": self.pinned}


class PageError(Exception):
    """The pages to drive could not be had (the pinned copy changed, the deployed script unreachable)."""


def page_source(script_url: str | None, timeout: float = 20.0) -> PageSource:
    """The pinned copy, checked; with `script_url`, the deployed portal's agent script in place of the copy's."""
    try:
        pinned = check_page()
    except Exception as error:
        raise PageError(str(error)) from error
    if script_url is None:
        return PageSource((PAGE / "agent.js").read_bytes(), None, pinned)
    try:
        answer = requests.get(script_url, timeout=timeout)
        answer.raise_for_status()
    except requests.RequestException as error:
        raise PageError(f"the portal's agent script {script_url} could not be fetched: {error}") from error
    return PageSource(answer.content, script_url, pinned)


STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}


class PortalStandIn:
    """The portal's gold-member pages for one certification run, aimed at the agent under test."""

    def __init__(self, agent_url: str, source: PageSource, *, timeout_seconds: float = 20.0) -> None:
        self.agent_url = agent_url.rstrip("/")
        self.source = source
        self.timeout_seconds = timeout_seconds
        self.expect = Expectation()
        self._nonces: dict[int, str] = {}
        self._lock = threading.Lock()

    def render(self, name: str) -> str:
        """One of the pages, for a member not yet verified, calling the agent under test."""
        text = (PAGE / name).read_text(encoding="utf-8")
        timeout_ms = str(int(self.timeout_seconds * 1000))
        return text.replace("__AGENT_URL__", html.escape(self.agent_url)).replace("__AGENT_TIMEOUT_MS__", timeout_ms)

    def static(self, name: str) -> Response:
        """The scripts and style the pages load; agent.js from the page source."""
        if name == "agent.js":
            return Response(self.source.script, media_type=STATIC_TYPES[".js"])
        if name not in self.source.pinned or name.endswith(".html"):
            return Response(status_code=404)
        return Response((PAGE / name).read_bytes(), media_type=STATIC_TYPES.get(name[name.rfind(".") :], "text/plain"))

    def nonce(self) -> dict[str, Any]:
        """A fresh nonce for the card to sign (documented step 22)."""
        value = secrets.token_urlsafe(24)
        with self._lock:
            nonce_id = len(self._nonces) + 1
            self._nonces[nonce_id] = value
        return {"nonce_id": nonce_id, "nonce": value}

    def check(self, signed: SignedNonce) -> str:
        """The relying party's verdict on what the agent signed: "" when accepted, else the message the member reads."""
        with self._lock:
            nonce = self._nonces.pop(signed.nonce_id, None)
        if nonce is None:
            return "驗證已逾時，請重新按「送出」。"
        try:
            cert = check_signature(nonce, signed.signature, signed.certb64)
            if self.expect.chain_pem and self.expect.id_number:
                check_card(cert, id_number=self.expect.id_number, chain_pem=self.expect.chain_pem)
        except Rejected as error:
            return str(error)
        return ""

    def app(self) -> FastAPI:
        """The pages, their static files, and the two calls their script makes."""
        app = FastAPI(title="portal stand-in for the agent certification", docs_url=None, redoc_url=None)

        @app.get("/static/{name}")
        def static(name: str) -> Response:
            return self.static(name)

        @app.get("/gold", response_class=HTMLResponse)
        def gold() -> str:
            return self.render("gold.html")

        @app.get("/gold/verify", response_class=HTMLResponse)
        def step_two() -> str:
            return self.render("gold_verify.html")

        @app.post("/gold/nonce")
        def nonce() -> dict[str, Any]:
            return self.nonce()

        @app.post("/gold/verify")
        def verified(signed: SignedNonce) -> JSONResponse:
            error = self.check(signed)
            if error:
                return JSONResponse({"error": error}, status_code=400)
            return JSONResponse({"next": "/gold/done"})

        @app.get("/gold/done", response_class=HTMLResponse)
        def done() -> str:
            return DONE_PAGE

        @app.get("/imageprobe", response_class=HTMLResponse)
        def image_probe() -> str:
            return IMAGE_PROBE_PAGE

        @app.get("/framing", response_class=HTMLResponse)
        def framing(src: str) -> str:
            # Another site's page framing `src` (AG-19). Served over the network, not faked in the browser: a page
            # Chromium did not fetch from an address would make the frame a Local Network Access request and block
            # it for that reason instead.
            return FRAMING_PAGE.format(src=html.escape(src))

        return app


@dataclass(frozen=True, slots=True)
class Submission:
    """How a 送出 ended on the portal's page: verified (on to 實名認證成功), or the message it showed."""

    verified: bool
    message: str
    popup_closed: bool


class GoldPages:
    """The portal's pages as a member uses them (locators by role and accessible name, as the portal's page objects)."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url.rstrip("/")

    def detection(self, timeout: float = 20.0) -> str:
        """Open 步驟一 and read what the page says once its script has looked for the agent."""
        self.page.goto(self.base_url + "/gold")
        status = self.page.get_by_role("status")
        expect(status).not_to_have_text(DETECTING, timeout=timeout * 1000)
        return status.inner_text()

    def submit(self, id_number: str, pin: str, timeout: float = 30.0) -> Submission:
        """步驟二: the ID number, 送出, the PIN in the PINCODE box, OK; then the page's verdict."""
        self.page.goto(self.base_url + "/gold/verify")
        self.page.get_by_label("身分證字號").fill(id_number)
        self.page.get_by_role("button", name="送出").click()
        self.page.get_by_label("請輸入自然人憑證 PIN 碼").fill(pin)
        with self.page.expect_popup(timeout=timeout * 1000) as opened:
            self.page.get_by_role("button", name="OK").click()
        popup = opened.value
        done, error = self.page.get_by_role("heading", name="實名認證成功"), self.page.get_by_role("alert")
        expect(done.or_(error)).to_be_visible(timeout=timeout * 1000)
        verified = done.is_visible()
        message = "" if verified else error.inner_text()
        closed = popup.is_closed()
        if not closed:
            try:
                popup.wait_for_event("close", timeout=5_000)
                closed = True
            except Exception:  # still open: reported, not raised
                closed = popup.is_closed()
        return Submission(verified, message, closed)

    def image_probe(self, agent_url: str) -> dict[str, Any]:
        """What a legacy integrator page reads from the agent's /p11Image.bmp."""
        self.page.goto(self.base_url + "/imageprobe")
        answer: dict[str, Any] = self.page.evaluate("src => readAgentImage(src)", f"{agent_url}/p11Image.bmp?1")
        return answer

    def trust_site(self, timeout: float = 30.0) -> str:
        """Press 「加入信任網站」, answer [是] on the agent's page, and read what the portal's page says then."""
        refusal = self.page.get_by_role("alert").inner_text()
        with self.page.expect_popup(timeout=timeout * 1000) as opened:
            self.page.get_by_role("button", name="加入信任網站").click()
        opened.value.get_by_role("button", name="是").click(timeout=timeout * 1000)
        # Either the progress line says it worked, or the alert says something new (agent.js: fail()).
        self.page.wait_for_function(
            """refusal => document.querySelector("[role=status]").textContent.length > 0
                || document.querySelector("[role=alert]").textContent !== refusal""",
            arg=refusal,
            timeout=timeout * 1000,
        )
        return self.page.get_by_role("status").inner_text() or self.page.get_by_role("alert").inner_text()
