"""Faults armed from a notebook, by their protocol names, on the simulators of the kernel's stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.notebook.lifecycle import Lifecycle
from simulators.card import CardFault
from simulators.client import SimulatorClient

CARD = "card"  # the card has no HTTP control surface: its faults are armed through CardClient


@dataclass(frozen=True, slots=True)
class ArmedFaults:
    """Every simulator's armed faults, as their control surfaces report them."""

    by_simulator: dict[str, list[dict[str, Any]]]


class FaultInjector:
    """Arms faults on the simulators `lifecycle` started, and reads back what is armed."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    @property
    def simulators(self) -> list[str]:
        """The names faults are armed by: the fixtures' names, and the card."""
        return [*self.lifecycle.clients, CARD]

    def arm(
        self,
        simulator: str,
        fault: str,
        *,
        match: str | None = None,
        times: int | None = 1,
        seconds: float | None = None,
    ) -> ArmedFaults:
        """Arm `fault`, named in the simulator's protocol terms (an SMS statuscode "s", an SMTP code "451", a card
        "pin_blocked", a HiPKI fault "no_reader" …), for `match` (a mobile, an address …), `times` uses (None: until
        reset); return every armed fault."""
        if simulator == CARD:
            self.lifecycle.card.arm(CardFault(fault))
        else:
            self.lifecycle.client(simulator, SimulatorClient).arm(fault, match=match, times=times, seconds=seconds)
        return self.armed()

    def armed(self) -> ArmedFaults:
        """Every simulator's armed faults."""
        clients = self.lifecycle.clients
        return ArmedFaults({name: list(client.state().get("faults", [])) for name, client in clients.items()})
