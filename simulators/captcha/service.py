"""reCAPTCHA v2, offline (docs/protocols/recaptcha.md): the widget script, its token endpoints, and siteverify as Google
serves it.

`GET /recaptcha/api.js` is the page API of developers.google.com/recaptcha/docs/display (see `widget.js`).
`GET|POST /recaptcha/api/siteverify` takes `secret`, `response` and `remoteip` from the query or a form body and
answers with Google's JSON shape and error codes; tokens are single use and valid 2 minutes. Optionally the same app
is also served over HTTPS (`serve_https`) with a CA made for it (`ca_pem`, or `GET /_control/ca.pem`), for clients
that hard-code https.

Confirmed here (once "seen in integrator sample code" in docs/protocols/recaptcha.md):
- siteverify answers GET with the fields in the query as well as POST: Google's own first PHP library sent GET
  (google/recaptcha `php/recaptchalib.php`, `_submitHTTPGet`), as Locomotive's RecaptchaService still does
  (`HTTParty.get(@api, query: {secret:, response:, remoteip:})`); django-recaptcha and Google's current library POST
  a form (django_recaptcha `client.py`; google/recaptcha `src/ReCaptcha/RequestMethod/Post.php`).
- Missing fields are all reported, response first: a JSON body (not a form) gets
  `["missing-input-response", "missing-input-secret"]` from Google (a captured exchange, pastebin.com/eyRm1upv);
  django-recaptcha's own tests expect `["invalid-input-response", "invalid-input-secret"]` together.
- A token verified before (or expired) is answered `success: false` with `timeout-or-duplicate`, and still with the
  `challenge_ts` and `hostname` of its tick: Google's answer to a second verification of one token, captured in
  greggilbert/recaptcha#140 (google/recaptcha#111 shows a failure with both fields as well). So a site that reads
  only `hostname` takes a replayed token for a good one.
- Google's test key pair always passes, with `hostname` `testkey.google.com` (django-recaptcha
  `tests/test_client.py`, `constants.py` citing the reCAPTCHA FAQ), and its widget shows the red banner "This
  reCAPTCHA is for testing purposes only. Please report to the site admin if you are seeing this." (Drupal
  simple_recaptcha `SimpleRecaptchaJavascriptTest`, asserted against Google's real widget).
- The response field is a hidden `<textarea id="g-recaptcha-response" name="g-recaptcha-response"
  class="g-recaptcha-response">` in the container, `id="g-recaptcha-response-1"` for the second widget, with Google's
  inline style (pages saved with Google's live widget in them, found in several public repositories).
On a stack several runs share, the mode and the siteverify faults are scoped to one browser session: the widget's
calls carry the session header the harness's browser sends (`simulators.control.SESSION_HEADER`), each token and
image challenge remembers the session it was made for, and a fault armed with `match=<session>` applies to that
session's tokens only.

Still ours: the stand-in's own token endpoints (`/recaptcha/api2/userverify`, `/recaptcha/api2/answer`), the image
challenge, and the widget drawn inline instead of in Google's iframe.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse

from simulators.captcha.faults import (
    ELSEWHERE_HOSTNAME,
    GOOGLE_TEST_SECRET,
    GOOGLE_TEST_SITE_KEY,
    MALFORMED,
    TEST_KEY_HOSTNAME,
    CaptchaFault,
    CaptchaMode,
)
from simulators.captcha.models import ChallengeAnswer, Tick
from simulators.control import Simulator, session_of, simulator_app
from simulators.faults import Holds
from simulators.serving import serve_asgi
from simulators.tls import LOOPBACK_NAMES, LocalCa

WIDGET_JS = (Path(__file__).parent / "widget.js").read_text(encoding="utf-8")
SCRIPT_PARAMS = ("onload", "render", "hl")  # api.js's documented query parameters
HOLD_SECONDS, HOLD_TICK = 60.0, 0.2  # a HELD answer's longest wait unless armed with `seconds`; its keep-alive pace
EVERY_INTERFACE = ("0.0.0.0", "::")  # a bind address no client can reach the server by: not a certificate name


@dataclass(frozen=True, slots=True)
class CaptchaSettings:
    """The key pair the portal is configured with (not Google's: these never leave this machine); Google's published
    test pair is accepted as well and always passes, as Google's does."""

    site_key: str = "tpcd-test-site-key"
    secret: str = "tpcd-test-secret"
    token_ttl: float = 120.0
    tls: bool = False  # make a CA for this app, so that `serve_https` can serve it over HTTPS too (`ca_pem`)


class SiteverifyDown(Exception):
    """An armed VERIFY_DOWN: siteverify answers HTTP 503 instead of JSON."""


@dataclass(slots=True)
class Token:
    minted: float
    sitekey: str
    hostname: str
    session: str | None  # the browser session that ticked for it (SESSION_HEADER): its faults' target
    used: bool = False


class Captcha(Simulator[CaptchaSettings]):
    """Minted tokens, pending image challenges, the mode and the faults."""

    fault_enum = CaptchaFault

    def reset(self) -> None:
        with self.lock:
            self.mode = CaptchaMode.PASS
            self.session_modes: dict[str, CaptchaMode] = {}  # a mode set for one browser session only
            self.tokens: dict[str, Token] = {}
            # id → (digits, the tick that opened it, the browser session it was opened for)
            self.challenges: dict[str, tuple[str, Tick, str | None]] = {}
            self.verifications = 0
            self.holds = getattr(self, "holds", None) or Holds()  # siteverify answers HELD, by browser session
            self.holds.reset()

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "mode": self.mode.value,
                "tokens": len(self.tokens),
                "verifications": self.verifications,
                "held": self.holds.counts(),
                # id → answer: how the harness solves the image
                "challenges": {key: digits for key, (digits, _, _) in self.challenges.items()},
            }

    @property
    def key_pairs(self) -> dict[str, str]:
        """Site key → secret: the configured pair and Google's test pair."""
        return {GOOGLE_TEST_SITE_KEY: GOOGLE_TEST_SECRET, self.settings.site_key: self.settings.secret}

    def set_mode(self, mode: CaptchaMode, session: str | None = None) -> None:
        """What the next ticks do (only that browser session's, when given)."""
        with self.lock:
            if session is None:
                self.mode = mode
            else:
                self.session_modes[session] = mode

    def tick(self, tick: Tick, session: str | None = None) -> dict[str, Any]:
        """The box was ticked: a token, or an image challenge in CHALLENGE mode (never for Google's test key)."""
        if tick.sitekey not in self.key_pairs:
            return {"error": "ERROR for site owner: Invalid site key"}
        with self.lock:
            mode = self.session_modes.get(session, self.mode) if session else self.mode
        if mode is CaptchaMode.CHALLENGE and tick.sitekey != GOOGLE_TEST_SITE_KEY:
            challenge, answer = secrets.token_hex(8), f"{secrets.randbelow(10**5):05d}"
            with self.lock:
                self.challenges[challenge] = (answer, tick, session)
            return {"challenge": challenge, "image": _digits_svg(answer)}
        return {"token": self._mint(tick, session)}

    def open_challenges(self, session: str | None = None) -> dict[str, str]:
        """Challenge id → answer of the open image challenges (of one browser session, when given)."""
        with self.lock:
            return {key: digits for key, (digits, _, owner) in self.challenges.items() if session in (None, owner)}

    def answer(self, reply: ChallengeAnswer, session: str | None = None) -> dict[str, Any]:
        """The digits typed for an image challenge: a token when right (each challenge is answered once)."""
        with self.lock:
            expected = self.challenges.pop(reply.challenge, None)
        if expected is None or reply.answer.strip() != expected[0]:
            return {"error": "incorrect-answer"}
        return {"token": self._mint(Tick(expected[1].sitekey, reply.hostname), session)}

    def _mint(self, tick: Tick, session: str | None) -> str:
        token = secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = Token(time.monotonic(), tick.sitekey, tick.hostname, session)
        return token

    def hold(self, response: str) -> tuple[str | None, float] | None:
        """Whether a HELD fault is armed for this token's session: (that session, seconds to hold at most)."""
        with self.lock:
            token = self.tokens.get(response)
        target = token.session if token else None
        fault = self.faults.take(target, among={CaptchaFault.HELD.value})
        return None if fault is None else (target, fault.seconds or HOLD_SECONDS)

    def verify(self, secret: str, response: str) -> dict[str, Any] | list[dict[str, Any]]:
        """siteverify's JSON for this secret and token (not an object only when a MALFORMED fault is armed);
        SiteverifyDown when a VERIFY_DOWN fault is armed for it."""
        with self.lock:
            self.verifications += 1
            token = self.tokens.get(response)
        target = token.session if token else None
        if self.faults.take(target, among={CaptchaFault.VERIFY_DOWN.value}) is not None:
            raise SiteverifyDown
        testing = secret == GOOGLE_TEST_SECRET
        errors = [
            "missing-input-response" if not response else "",
            "missing-input-secret" if not secret else "",
            "invalid-input-secret" if secret and secret not in self.key_pairs.values() else "",
        ]
        if any(errors):
            return _failure(*errors)
        answers = {f.value for f in CaptchaFault} - {CaptchaFault.VERIFY_DOWN.value, CaptchaFault.HELD.value}
        fault = self.faults.take(target, among=answers)
        if fault is not None and fault.fault in MALFORMED:
            return self._malformed(CaptchaFault(fault.fault), token, TEST_KEY_HOSTNAME if testing else "")
        if fault is not None and fault.fault == CaptchaFault.REJECTED:
            return {"success": False, "error-codes": []}
        if fault is not None and fault.fault != CaptchaFault.HOSTNAME_MISMATCH:
            return _failure(fault.fault)  # the fault's value is the error code
        elsewhere = fault is not None
        if testing:  # Google's test secret passes any token, again and again (docs/protocols/recaptcha.md)
            return _success(time.monotonic(), ELSEWHERE_HOSTNAME if elsewhere else TEST_KEY_HOSTNAME)
        with self.lock:
            if token is None or self.key_pairs.get(token.sitekey) != secret:
                return _failure("invalid-input-response")  # forged, or minted for another site's key
            if token.used or time.monotonic() - token.minted > self.settings.token_ttl:
                return _spent(token.minted, token.hostname)
            token.used = True
        return _success(token.minted, ELSEWHERE_HOSTNAME if elsewhere else token.hostname)

    def _malformed(
        self, fault: CaptchaFault, token: Token | None, hostname: str
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """A MALFORMED fault's body: the token used up as a verdict would use it, the answer not Google's shape."""
        with self.lock:
            if token is not None:
                token.used = True
        minted, hostname = (token.minted, token.hostname) if token else (time.monotonic(), hostname)
        if fault is CaptchaFault.ARRAY_BODY:
            return [_success(minted, hostname)]
        text = "true" if fault is CaptchaFault.SUCCESS_TEXT_TRUE else "false"
        return {**_success(minted, hostname), "success": text}


def _failure(*codes: str) -> dict[str, Any]:
    return {"success": False, "error-codes": [code for code in codes if code]}


def _spent(minted: float, hostname: str) -> dict[str, Any]:
    """Google's answer for a token verified before or expired: it still names when and where the box was ticked
    (captured from Google, greggilbert/recaptcha#140: a second verification of one token), so only `success` and the
    error code say the token proves nothing now."""
    return {**_success(minted, hostname), "success": False, "error-codes": ["timeout-or-duplicate"]}


def _success(minted: float, hostname: str) -> dict[str, Any]:
    """Google's success shape; `challenge_ts` is when the box was ticked, ISO 8601 in UTC."""
    when = datetime.now(UTC).timestamp() - (time.monotonic() - minted)
    return {
        "success": True,
        "challenge_ts": datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hostname": hostname,
    }


def _digits_svg(digits: str) -> str:
    """An image of `digits`, lightly distorted: a person reads it, the harness asks the control surface."""
    glyphs = "".join(
        f'<text x="{x}" y="{38 + (i % 2) * 6}" transform="rotate({(-1) ** i * 8} {x} 34)">{d}</text>'
        for i, d in enumerate(digits)
        for x in [18 + i * 26]
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="60" font-family="monospace" font-size="30" '
        f'fill="#234"><rect width="180" height="60" fill="#eef"/>{glyphs}'
        '<line x1="5" y1="20" x2="175" y2="45" stroke="#89a"/></svg>'
    )


async def _held(
    captcha: Captcha, session: str | None, seconds: float, fields: Mapping[str, str]
) -> AsyncIterator[bytes]:
    """A HELD siteverify answer: a space every HOLD_TICK seconds until released or `seconds` pass, then the
    verdict (a VERIFY_DOWN armed as well gives a body without `success`: the portal cannot read it)."""
    deadline = time.monotonic() + seconds
    with captcha.holds.holding(session) as released:
        while not released() and time.monotonic() < deadline:
            yield b" "
            await asyncio.sleep(HOLD_TICK)
    try:
        verdict = captcha.verify(fields.get("secret", ""), fields.get("response", ""))
    except SiteverifyDown:
        verdict = {}
    yield json.dumps(verdict).encode()


async def _fields(request: Request) -> Mapping[str, str]:
    """siteverify's fields from the query and, on POST, a form body (which wins); any other body adds nothing."""
    fields = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        fields.update({key: value for key, value in form.items() if isinstance(value, str)})
    return fields


def create_app(settings: CaptchaSettings | None = None) -> FastAPI:
    """The reCAPTCHA simulator as an ASGI app."""
    captcha = Captcha(settings or CaptchaSettings())
    app = simulator_app("reCAPTCHA v2 simulator", captcha)
    if captcha.settings.tls:
        app.state.ca = LocalCa("tpcd-harness reCAPTCHA simulator CA")
    # The widget runs on the portal's page and calls back here: any origin may ask for a token (no credentials).
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"])

    @app.post("/_control/mode")
    def set_mode(mode: Annotated[str, Form()], match: Annotated[str | None, Form()] = None) -> dict[str, str]:
        try:
            chosen = CaptchaMode(mode)
        except ValueError as error:
            raise HTTPException(
                status_code=422, detail=f"mode must be one of {[m.value for m in CaptchaMode]}"
            ) from error
        captcha.set_mode(chosen, match)
        return {"mode": chosen.value}

    @app.post("/_control/release")
    def release(match: Annotated[str | None, Form()] = None) -> dict[str, int]:
        return {"released": captcha.holds.release(match)}

    @app.get("/_control/challenges")
    def challenges(session: str | None = None) -> dict[str, str]:
        return captcha.open_challenges(session)

    @app.get("/_control/ca.pem")
    def ca_certificate() -> Response:
        if not captcha.settings.tls:
            raise HTTPException(
                status_code=404, detail="no HTTPS port: the app was made without CaptchaSettings(tls=True)"
            )
        return Response(ca_pem(app), media_type="application/x-pem-file")

    @app.get("/recaptcha/api.js")
    def script(request: Request) -> Response:
        params = {name: request.query_params[name] for name in SCRIPT_PARAMS if name in request.query_params}
        body = (
            WIDGET_JS.replace("__SIMULATOR__", str(request.base_url).rstrip("/"))
            .replace("__TTL_MS__", str(int(captcha.settings.token_ttl * 1000)))
            .replace("__TEST_SITE_KEY__", GOOGLE_TEST_SITE_KEY)
            .replace("__PARAMS__", json.dumps(params).replace("<", "\\u003c"))
        )
        return Response(body, media_type="text/javascript; charset=utf-8")

    @app.post("/recaptcha/api2/userverify")
    def tick(ticked: Tick, request: Request) -> dict[str, Any]:
        return captcha.tick(ticked, session_of(request))

    @app.post("/recaptcha/api2/answer")
    def answer(reply: ChallengeAnswer, request: Request) -> dict[str, Any]:
        return captcha.answer(reply, session_of(request))

    @app.api_route("/recaptcha/api/siteverify", methods=["GET", "POST"])
    async def siteverify(request: Request) -> Response:
        fields = await _fields(request)
        held = captcha.hold(fields.get("response", ""))
        if held is not None:
            return StreamingResponse(_held(captcha, *held, fields), media_type="application/json")
        try:
            verdict = captcha.verify(fields.get("secret", ""), fields.get("response", ""))
        except SiteverifyDown:
            return Response("Service Unavailable", status_code=503)
        return JSONResponse(verdict)

    return app


def ca_pem(app: Any) -> bytes:
    """The PEM certificate of the CA behind `serve_https`: what a client trusts to reach this app over HTTPS."""
    ca = getattr(app.state, "ca", None)
    if not isinstance(ca, LocalCa):
        raise ValueError("this captcha app has no CA: create it with CaptchaSettings(tls=True)")
    return ca.pem


@contextmanager
def serve_https(
    app: Any,
    host: str = "127.0.0.1",
    timeout: float = 10.0,
    *,
    port: int = 0,
    advertise: str | None = None,
) -> Iterator[tuple[str, str]]:
    """The same app (or the same app behind a gate) on its own HTTPS port, with a certificate from its CA for the
    advertised name, `host` and the loopback names: yields `("captcha_https", url)`, the shape of a stack sidecar
    (harness/simulator_table.py)."""
    ca_pem(app)  # refuses an app made without tls, before anything starts
    ca: LocalCa = app.state.ca
    names = [name for name in (advertise, host) if name and name not in EVERY_INTERFACE]
    with (
        ca.server_files([*names, *LOOPBACK_NAMES]) as files,
        serve_asgi(
            app, name="captcha_https", host=host, port=port, timeout=timeout, tls=files, advertise=advertise
        ) as url,
    ):
        yield "captcha_https", url
