"""Typed client of the mail simulator's read API (Mailpit-compatible): what steps use to read a code."""

from __future__ import annotations

from typing import Any

from simulators._client import SimulatorClient, find_otp, wait_until


class MailClient(SimulatorClient):
    """Reads the simulated mailboxes and arms SMTP faults."""

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Message summaries, newest first (optionally only those to `to`)."""
        if to is None:
            found = self._call("GET", "/api/v1/messages")
        else:
            found = self._call("GET", "/api/v1/search", params={"query": f"to:{to}"})
        messages: list[dict[str, Any]] = found["messages"]
        return messages

    def message(self, message_id: str) -> dict[str, Any]:
        """One message with its Text and HTML."""
        detail: dict[str, Any] = self._call("GET", f"/api/v1/message/{message_id}")
        return detail

    def wait_for_otp(self, to: str, timeout: float = 5.0, *, after: str = "") -> str:
        """The code in the newest mail to `to` whose ID sorts after `after`, waiting up to `timeout`."""

        def newest_code() -> str | None:
            fresh = [m for m in self.messages(to) if m["ID"] > after]
            return find_otp(self.message(fresh[0]["ID"])["Text"]) if fresh else None

        return wait_until(newest_code, timeout=timeout, what=f"no mail with a code reached {to}")

    def last_id(self, to: str | None = None) -> str:
        """The ID of the newest mail so far ("" when none): pass it as `after` to wait for a newer one."""
        found = self.messages(to)
        return str(found[0]["ID"]) if found else ""
