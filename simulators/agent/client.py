"""Typed client of the agent simulator's desktop: install state, trusted sites, faults and the request log."""

from __future__ import annotations

from typing import Any

from simulators.agent.models import AgentRequest
from simulators.client import SimulatorClient


class AgentClient(SimulatorClient):
    """Controls the 安控元件 on the citizen's (simulated) computer."""

    @property
    def installer_url(self) -> str:
        """The downloaded setup file, opened (documented step 11)."""
        return self.base_url + "/installer"

    @property
    def tray_url(self) -> str:
        """The tray icon at the bottom right of the screen."""
        return self.base_url + "/tray"

    def uninstall(self) -> None:
        """Not installed: its port is closed."""
        self._call("POST", "/_control/uninstall")

    def restart(self) -> None:
        """Start the stopped agent again: Loading, then Ready."""
        self._call("POST", "/_control/restart")

    def distrust(self, domain: str) -> None:
        """Take `domain` off the trusted-site list."""
        self._call("POST", "/_control/distrust", data={"domain": domain})

    def tray(self) -> str:
        """What the tray icon says: 未安裝, 安裝中, Loading, Ready, Going or 未執行."""
        return str(self.state()["tray"])

    def requests(self) -> list[AgentRequest]:
        """Every request the agent received since the last reset, PINs masked."""
        return [AgentRequest(**request) for request in self.state()["requests"]]

    def insert_card(
        self, *, name: str, id_number: str, card_number: str, pin: str, puk: str = "12345678", seed: int = 0
    ) -> None:
        """Put a virtual card personalised for this holder in the agent's reader (simulator control)."""
        holder = {"name": name, "id_number": id_number, "card_number": card_number, "pin": pin, "puk": puk}
        self._call("POST", "/_control/card/insert", json={**holder, "seed": seed})

    def remove_card(self) -> None:
        """Pull the virtual card out of the agent's reader."""
        self._call("POST", "/_control/card/remove")

    def set_tries_left(self, tries: int) -> None:
        """Set the inserted card's PIN retry counter."""
        self._call("POST", "/_control/card/tries", data={"tries": tries})

    def card(self) -> dict[str, Any]:
        """Reader, holder and PIN state of the controlled card."""
        state: dict[str, Any] = self._call("GET", "/_control/card")
        return state
