"""Typed client of the SMS simulator: what steps use to read a citizen's one-time code."""

from __future__ import annotations

from typing import Any

from simulators._client import SimulatorClient, find_otp, wait_until


class SmsClient(SimulatorClient):
    """Reads the simulated phones' inbox and arms Mitake faults."""

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every accepted message (optionally to one number), oldest first, delivered or not."""
        found: list[dict[str, Any]] = self._call("GET", "/api/v1/messages", params={"to": to} if to else None)
        return found

    def wait_for_otp(self, to: str, timeout: float = 5.0, *, after: int = 0) -> str:
        """The code in the newest message delivered to `to` with an id above `after`, waiting up to `timeout`."""

        def newest_code() -> str | None:
            delivered = [m for m in self.messages(to) if m["status"] == "DELIVRD" and m["id"] > after]
            return find_otp(delivered[-1]["body"]) if delivered else None

        return wait_until(newest_code, timeout=timeout, what=f"no SMS with a code reached {to}")

    def last_id(self, to: str | None = None) -> int:
        """The id of the newest message so far (0 when none): pass it as `after` to wait for a newer one."""
        found = self.messages(to)
        return int(found[-1]["id"]) if found else 0
