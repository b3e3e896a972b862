"""Client of the portal twin's own controls (`/_twin/*`): only the embedded twin has them, never a deployment."""

from __future__ import annotations

from simulators.client import ServiceClient


class TwinClient(ServiceClient):
    """Moves the twin's clock, for scenarios about code expiry and resend cooldown (the twin has no faults)."""

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for the portal."""
        self._call("POST", "/_twin/clock/advance", data={"seconds": seconds})

    def reset(self) -> None:
        """Back to real time."""
        self._call("POST", "/_twin/clock/reset")
