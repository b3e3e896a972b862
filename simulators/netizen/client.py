"""Typed client of the 網路市民 simulator: give a citizen a legacy account, arm its faults."""

from __future__ import annotations

from simulators._client import SimulatorClient


class NetizenClient(SimulatorClient):
    """Adds legacy accounts for citizens to import from."""

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
        profile = {"account": account, "password": password, "name": name, "email": email, "mobile": mobile}
        self._call("POST", "/_control/accounts", json={**profile, "address": address, "id_number": id_number})
