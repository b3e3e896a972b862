"""Typed client of the registry simulator: give a citizen the card services they hold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from simulators.client import SimulatorClient
from simulators.registry.models import Holding, Holdings


class RegistryClient(SimulatorClient):
    """Sets and reads the card services held under an ID number."""

    def set_holdings(self, id_number: str, services: Iterable[Holding]) -> None:
        """Replace what `id_number` holds."""
        self._call("PUT", f"/_control/holdings/{id_number}", json=[asdict(s) for s in services])

    def services(self, id_number: str) -> tuple[Holding, ...]:
        """What the portal would read for `id_number`."""
        return Holdings.from_wire(self._call("GET", "/api/v1/services", params={"id_number": id_number})).services
