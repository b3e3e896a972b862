"""Typed client of the SMS simulator: what steps use to read a citizen's one-time code."""

from __future__ import annotations

from simulators.client import SimulatorClient, wait_until
from simulators.sms.models import SmsMessage


class SmsClient(SimulatorClient):
    """Reads the simulated phones' inbox and arms Mitake faults."""

    def messages(self, to: str | None = None) -> list[SmsMessage]:
        """Every accepted message (optionally to one number), oldest first, delivered or not."""
        found = self._call("GET", "/api/v1/messages", params={"to": to} if to else None)
        return [SmsMessage.from_wire(wire) for wire in found]

    def register_callback(self, url: str) -> None:
        """Register a delivery-report URL for the account: reports go to no other (as Mitake's account settings)."""
        self._call("POST", "/_control/callbacks", json={"url": url})

    def top_up(self, points: int) -> int:
        """Buy `points` for the account; the balance after."""
        balance: int = self._call("POST", "/_control/points", json={"points": points})["account_points"]
        return balance

    def wait_for_message(self, to: str, timeout: float = 5.0, *, after: int = 0) -> SmsMessage:
        """The newest message with a code delivered to `to`, of those with an id above `after`; waits up to
        `timeout`. Delivered, not accepted: under a DELAY fault a newer message may still be on its way."""

        def newest() -> SmsMessage | None:
            fresh = [m for m in self.messages(to) if m.delivered and m.id > after and m.otp]
            return fresh[-1] if fresh else None

        return wait_until(newest, timeout=timeout, what=f"no SMS with a code reached {to}")

    def wait_for_otp(self, to: str, timeout: float = 5.0, *, after: int = 0) -> str:
        """The code in `wait_for_message(to, timeout, after=after)`."""
        code = self.wait_for_message(to, timeout, after=after).otp
        assert code is not None  # only a message that carries one is waited for
        return code
