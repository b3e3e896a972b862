"""Typed client of the 網路市民 simulator: give a citizen a legacy account, arm its faults."""

from __future__ import annotations

from dataclasses import asdict

from simulators.client import SimulatorClient
from simulators.netizen.models import NetizenAccount, RedirectUriRegistration


class NetizenClient(SimulatorClient):
    """Adds legacy accounts for citizens to import from, and registers where the portal's callback is."""

    def register_redirect_uri(self, redirect_uri: str) -> None:
        """Register an exact redirect URI for the portal's client; it stays registered across resets."""
        self._call("POST", "/_control/redirect_uris", json=asdict(RedirectUriRegistration(redirect_uri)))

    def add_account(
        self,
        account: str,
        password: str,
        *,
        name: str,
        email: str = "",
        mobile: str = "",
        address: str = "",
        id_number: str | None = None,
    ) -> None:
        """Create (or replace) a 網路市民 account with this profile."""
        created = NetizenAccount(account, password, name, email, mobile, address, id_number)
        self._call("POST", "/_control/accounts", json=created.to_wire())
