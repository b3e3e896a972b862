"""Pull a 網路市民 profile: consent in the browser, token and profile server-side (docs/protocols/netizen-oauth.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus, urlencode

import requests


class NetizenUnavailable(RuntimeError):
    """The 網路市民 service did not answer as it should."""


class NetizenOAuth:
    """The authorization-code flow against the 網路市民 service."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, *, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id, self.client_secret, self.timeout = client_id, client_secret, timeout

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where the browser logs in and consents."""
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri, "state": state}
        return f"{self.base_url}/oauth/authorize?{urlencode(query)}"

    def reachable(self, redirect_uri: str) -> bool:
        """Whether the login page answers now: checked before sending the citizen away from a half-filled form."""
        try:
            return requests.get(self.authorize_url(redirect_uri, "probe"), timeout=self.timeout).status_code < 500
        except requests.RequestException:
            return False

    def profile(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """Exchange `code` (sent to `redirect_uri`) for a token and read the profile with it."""
        try:
            token = requests.post(
                f"{self.base_url}/oauth/token",
                # RFC 6749 §4.1.3: redirect_uri again, since the authorization request had it.
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
                # RFC 6749 §2.3.1: HTTP Basic, which every server must accept, id and secret form-urlencoded first.
                auth=(quote_plus(self.client_id), quote_plus(self.client_secret)),
                timeout=self.timeout,
            )
            token.raise_for_status()
            access = token.json()["access_token"]
            profile = requests.get(
                f"{self.base_url}/api/v1/profile", headers={"Authorization": f"Bearer {access}"}, timeout=self.timeout
            )
            profile.raise_for_status()
            body: dict[str, Any] = profile.json()
        except (requests.RequestException, ValueError, KeyError) as error:
            raise NetizenUnavailable(str(error)) from error
        return body
