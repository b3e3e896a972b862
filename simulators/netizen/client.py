"""Typed client of the 網路市民 simulator: give a citizen a legacy account, arm its faults."""

from __future__ import annotations

from simulators._client import SimulatorClient
from simulators.netizen.models import NetizenAccount


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
        created = NetizenAccount(account, password, name, email, mobile, address, id_number)
        self._call("POST", "/_control/accounts", json=created.to_wire())
