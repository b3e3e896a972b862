"""Typed client of the mail simulator's read API (Mailpit-compatible): what steps use to read a code."""

from __future__ import annotations

from simulators._client import SimulatorClient, wait_until
from simulators.mail.models import Message, MessageSummary


class MailClient(SimulatorClient):
    """Reads the simulated mailboxes and arms SMTP faults."""

    def messages(self, to: str | None = None) -> list[MessageSummary]:
        """Message summaries, newest first (optionally only those to `to`)."""
        if to is None:
            found = self._call("GET", "/api/v1/messages")
        else:
            found = self._call("GET", "/api/v1/search", params={"query": f"to:{to}"})
        return [MessageSummary.from_wire(wire) for wire in found["messages"]]

    def message(self, message_id: str) -> Message:
        """One message with its Text and HTML."""
        return Message.from_wire(self._call("GET", f"/api/v1/message/{message_id}"))

    def wait_for_message(self, to: str, timeout: float = 5.0, *, after: str = "") -> Message:
        """The newest mail with a code to `to`, of those that came after the mail with ID `after` (all, when "");
        waits up to `timeout`. Only the order of the listing counts, not how IDs sort."""

        def newest() -> Message | None:
            for summary in self.messages(to):
                if summary.id == after:
                    return None
                message = self.message(summary.id)
                if message.otp:
                    return message
            return None

        return wait_until(newest, timeout=timeout, what=f"no mail with a code reached {to}")

    def wait_for_otp(self, to: str, timeout: float = 5.0, *, after: str = "") -> str:
        """The code in `wait_for_message(to, timeout, after=after)`."""
        code = self.wait_for_message(to, timeout, after=after).otp
        assert code is not None  # only a message that carries one is waited for
        return code
