"""Check a 「我不是機器人」 token with reCAPTCHA's siteverify (docs/protocols/recaptcha.md#siteverify)."""

from __future__ import annotations

from dataclasses import dataclass

import requests


class CaptchaUnavailable(RuntimeError):
    """siteverify could not be asked; the citizen should try again later."""


@dataclass(frozen=True, slots=True)
class CaptchaVerdict:
    """What siteverify said."""

    success: bool
    error_codes: tuple[str, ...] = ()
    hostname: str = ""


class SiteVerify:
    """A POST of secret, response and remoteip to the verify URL."""

    def __init__(self, url: str, secret: str, *, timeout: float) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout

    def check(self, token: str, remoteip: str = "") -> CaptchaVerdict:
        """The verdict for `token`, or CaptchaUnavailable when siteverify does not answer properly."""
        try:
            response = requests.post(
                self.url, data={"secret": self.secret, "response": token, "remoteip": remoteip}, timeout=self.timeout
            )
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as error:
            raise CaptchaUnavailable(str(error)) from error
        if not isinstance(body, dict) or not isinstance(body.get("success"), bool):
            raise CaptchaUnavailable(f"unexpected siteverify reply: {str(body)[:200]}")
        return CaptchaVerdict(body["success"], tuple(body.get("error-codes", [])), str(body.get("hostname", "")))
