"""reCAPTCHA v2 checkbox, offline (PROTOCOLS.md §8.4): the widget script, its token endpoints, and siteverify.

`GET /recaptcha/api.js` renders a 「我不是機器人」 checkbox into every `.g-recaptcha` element (`data-sitekey`,
`data-callback`, `data-expired-callback`; `grecaptcha.render/getResponse/reset`, `?onload=`), writing the token into
the form field `g-recaptcha-response`. Unlike Google's, the widget renders inline rather than in an iframe, so the
checkbox is found by role and name like every other control. `POST /recaptcha/api/siteverify` answers with Google's
shape and error codes; tokens are single use and valid 2 minutes.

On a stack several runs share, the mode and the siteverify faults are scoped to one browser session: the widget's
calls carry the session header the harness's browser sends (`simulators._control.SESSION_HEADER`), each token
remembers the session that ticked for it, and a fault armed with `match=<session>` applies to that session's tokens.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from simulators._control import Simulator, session_of, simulator_app
from simulators.captcha.faults import ELSEWHERE_HOSTNAME, CaptchaFault, CaptchaMode
from simulators.captcha.models import ChallengeAnswer, Tick

WIDGET_JS = (Path(__file__).parent / "widget.js").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class CaptchaSettings:
    """The key pair the portal is configured with (not Google's: these never leave this machine)."""

    site_key: str = "tpcd-test-site-key"
    secret: str = "tpcd-test-secret"
    token_ttl: float = 120.0


@dataclass(slots=True)
class Token:
    minted: float
    hostname: str
    session: str | None = None  # the browser session that ticked for it
    used: bool = False


class Captcha(Simulator[CaptchaSettings]):
    """Minted tokens, pending image challenges, the mode and the faults."""

    fault_enum = CaptchaFault

    def reset(self) -> None:
        with self.lock:
            self.mode = CaptchaMode.PASS
            self.session_modes: dict[str, CaptchaMode] = {}  # a mode set for one browser session only
            self.tokens: dict[str, Token] = {}
            self.challenges: dict[str, str] = {}
            self.challenge_sessions: dict[str, str | None] = {}
            self.verifications = 0

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "mode": self.mode.value,
                "tokens": len(self.tokens),
                "verifications": self.verifications,
                "challenges": dict(self.challenges),  # id → answer: how the harness solves the image
            }

    def set_mode(self, mode: CaptchaMode, session: str | None = None) -> None:
        """What the next ticks do (only that browser session's, when given)."""
        with self.lock:
            if session is None:
                self.mode = mode
            else:
                self.session_modes[session] = mode

    def tick(self, tick: Tick, session: str | None = None) -> dict[str, Any]:
        """The box was ticked: a token, or an image challenge in CHALLENGE mode."""
        if tick.sitekey != self.settings.site_key:
            return {"error": "ERROR for site owner: Invalid site key"}
        with self.lock:
            mode = self.session_modes.get(session, self.mode) if session else self.mode
        if mode is CaptchaMode.CHALLENGE:
            challenge, answer = secrets.token_hex(8), f"{secrets.randbelow(10**5):05d}"
            with self.lock:
                self.challenges[challenge] = answer
                self.challenge_sessions[challenge] = session
            return {"challenge": challenge, "image": _digits_svg(answer)}
        return {"token": self._mint(tick.hostname, session)}

    def open_challenges(self, session: str | None = None) -> dict[str, str]:
        """Challenge id → answer of the open image challenges (of one browser session, when given)."""
        with self.lock:
            owner = self.challenge_sessions
            return {challenge: a for challenge, a in self.challenges.items() if session in (None, owner[challenge])}

    def answer(self, reply: ChallengeAnswer, session: str | None = None) -> dict[str, Any]:
        """The digits typed for an image challenge: a token when right (each challenge is answered once)."""
        with self.lock:
            expected = self.challenges.pop(reply.challenge, None)
            self.challenge_sessions.pop(reply.challenge, None)
        if expected is None or reply.answer.strip() != expected:
            return {"error": "驗證失敗，請再試一次"}
        return {"token": self._mint(reply.hostname, session)}

    def _mint(self, hostname: str, session: str | None = None) -> str:
        token = secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = Token(time.monotonic(), hostname, session)
        return token

    def session_of_token(self, response: str) -> str | None:
        """The browser session a token was minted for: the target its siteverify faults are matched against."""
        with self.lock:
            token = self.tokens.get(response)
        return token.session if token is not None else None

    def verify(self, secret: str, response: str) -> dict[str, Any]:
        """siteverify's JSON for this secret and token."""
        with self.lock:
            self.verifications += 1
        if not secret:
            return _failure("missing-input-secret")
        if secret != self.settings.secret:
            return _failure("invalid-input-secret")
        if not response:
            return _failure("missing-input-response")
        fault = self.faults.take(
            self.session_of_token(response), among={f.value for f in CaptchaFault} - {CaptchaFault.VERIFY_DOWN.value}
        )
        if fault is not None and fault.fault == CaptchaFault.REJECTED:
            return {"success": False, "error-codes": []}
        if fault is not None and fault.fault != CaptchaFault.HOSTNAME_MISMATCH:
            return _failure(fault.fault)  # the fault's value is the error code
        with self.lock:
            token = self.tokens.get(response)
            if token is None:
                return _failure("invalid-input-response")
            expired = time.monotonic() - token.minted > self.settings.token_ttl
            if token.used or expired:
                return _failure("timeout-or-duplicate")
            token.used = True
        minted = datetime.now(UTC).timestamp() - (time.monotonic() - token.minted)
        return {
            "success": True,
            "challenge_ts": datetime.fromtimestamp(minted, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "hostname": ELSEWHERE_HOSTNAME if fault is not None else token.hostname,
        }


def _failure(code: str) -> dict[str, Any]:
    return {"success": False, "error-codes": [code]}


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


def create_app(settings: CaptchaSettings | None = None) -> FastAPI:
    """The reCAPTCHA simulator as an ASGI app."""
    captcha = Captcha(settings or CaptchaSettings())
    app = simulator_app("reCAPTCHA v2 simulator", captcha)
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

    @app.get("/_control/challenges")
    def challenges(session: str | None = None) -> dict[str, str]:
        return captcha.open_challenges(session)

    @app.get("/recaptcha/api.js")
    def script(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        body = WIDGET_JS.replace("__SIMULATOR__", base).replace(
            "__TTL_MS__", str(int(captcha.settings.token_ttl * 1000))
        )
        return Response(body, media_type="text/javascript; charset=utf-8")

    @app.post("/recaptcha/api2/userverify")
    def tick(ticked: Tick, request: Request) -> dict[str, Any]:
        return captcha.tick(ticked, session_of(request))

    @app.post("/recaptcha/api2/answer")
    def answer(reply: ChallengeAnswer, request: Request) -> dict[str, Any]:
        return captcha.answer(reply, session_of(request))

    @app.post("/recaptcha/api/siteverify")
    def siteverify(
        secret: Annotated[str, Form()] = "",
        response: Annotated[str, Form()] = "",
        remoteip: Annotated[str, Form()] = "",
    ) -> Response:
        if captcha.faults.take(captcha.session_of_token(response), among={CaptchaFault.VERIFY_DOWN.value}) is not None:
            return Response("Service Unavailable", status_code=503)
        return JSONResponse(captcha.verify(secret, response))

    return app
