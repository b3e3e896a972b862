"""Typed client of the registry simulator: give a citizen the card services they hold."""

from __future__ import annotations

from typing import Any

from simulators._client import SimulatorClient


class RegistryClient(SimulatorClient):
    """Sets and reads the card services held under an ID number."""

    def set_holdings(self, id_number: str, services: list[dict[str, Any]]) -> None:
        """Replace what `id_number` holds, e.g. [{"service": "敬老卡", "card_number": "…"}]."""
        self._call("PUT", f"/_control/holdings/{id_number}", json=services)

    def services(self, id_number: str) -> list[dict[str, Any]]:
        """What the portal would read for `id_number`."""
        found: list[dict[str, Any]] = self._call("GET", "/api/v1/services", params={"id_number": id_number})["services"]
        return found
