"""Where the captcha simulator of the `served_captcha` fixture listens, and the CA its HTTPS side needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServedCaptcha:
    """The simulator's two ports and the CA a client must trust for the HTTPS one."""

    http: str
    https: str
    ca_file: Path

    @property
    def https_domain(self) -> str:
        """`host:port` of the HTTPS side: what django-recaptcha's RECAPTCHA_DOMAIN holds."""
        return self.https.removeprefix("https://")
