"""Typed client of the reCAPTCHA simulator: choose what a tick does, arm siteverify faults, solve the image."""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from simulators.captcha.faults import CaptchaMode
from simulators.client import HoldingClient, SimulatorError, wait_until

TICK = "/recaptcha/api2/userverify"
"""What the widget script does when its box is ticked (widget.js; Google's own widget calls api2/userverify)."""


def tick(http: requests.Session, script_url: str, sitekey: str, hostname: str, *, timeout: float = 30.0) -> str:
    """The 「我不是機器人」 token the widget loaded from `script_url` hands its page when its box is ticked, as if on
    `hostname`, asked from the page's own session `http` (its cookies and headers: a mode armed for one browser
    session applies). A script walking the portal's forms (pages.attacker) is given this as its way to tick."""
    reply = http.post(urljoin(script_url, TICK), json={"sitekey": sitekey, "hostname": hostname}, timeout=timeout)
    answer = reply.json() if reply.status_code == 200 else {}
    if "token" not in answer:  # an unknown site key, or an image challenge instead of a token
        raise SimulatorError(f"POST {TICK} → {reply.status_code}: {reply.text[:500]}")
    token: str = answer["token"]
    return token


class CaptchaClient(HoldingClient):
    """Controls the 「我不是機器人」 box the portal embeds; a tick that does not pass is a siteverify fault (`arm`)."""

    HELD = "siteverify answer"

    def ca_pem(self) -> bytes:
        """The CA certificate behind the simulator's HTTPS port (made with CaptchaSettings(tls=True)), as PEM."""
        response = self.http.get(self.base_url + "/_control/ca.pem", timeout=self.timeout)
        if response.status_code != 200:
            raise SimulatorError(f"GET /_control/ca.pem → {response.status_code}: {response.text[:500]}")
        return response.content

    def set_mode(self, mode: CaptchaMode) -> None:
        """Make the next ticks pass at once or open an image challenge (only this client's browser session's, when it
        has a target)."""
        scope = {"match": self.target} if self.target else {}
        self._call("POST", "/_control/mode", data={"mode": mode.value, **scope})

    def challenge_answer(self, timeout: float = 5.0) -> str:
        """The digits in the newest open image challenge (what a person would read off the picture)."""

        def newest() -> str | None:
            session = {"session": self.target} if self.target else {}
            challenges: dict[str, str] = self._call("GET", "/_control/challenges", params=session)
            return list(challenges.values())[-1] if challenges else None

        return wait_until(newest, timeout=timeout, what="no image challenge was opened")
