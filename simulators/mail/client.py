"""Typed client of a Mailpit API v1 (the mail simulator's, or a real Mailpit's): what steps use to read a code."""

from __future__ import annotations

from simulators.client import HoldingClient, wait_until
from simulators.mail.models import Message, MessageList, MessageSummary


class MailClient(HoldingClient):
    """Reads the mailboxes and arms SMTP faults (the faults only on the simulator)."""

    HELD = "SMTP DATA reply"

    def listing(self, query: str = "", *, start: int = 0, limit: int = 50) -> MessageList:
        """One page of the mailbox, newest first; of what Mailpit's search `query` finds when one is given."""
        params: dict[str, str | int] = {"start": start, "limit": limit}
        if query:
            return MessageList.from_wire(self._call("GET", "/api/v1/search", params={**params, "query": query}))
        return MessageList.from_wire(self._call("GET", "/api/v1/messages", params=params))

    def messages(self, to: str | None = None) -> list[MessageSummary]:
        """The newest messages, newest first; only those whose To header holds `to` exactly when given. Mailpit's
        `to:` matches any To containing the text (its search is `LIKE %…%`), so the exact address is checked here."""
        if to is None:
            return list(self.listing().messages)
        found = self.listing(f'to:"{to}"').messages
        return [m for m in found if any(a.address.lower() == to.lower() for a in m.to)]

    def message(self, message_id: str) -> Message:
        """One message with its Text and HTML (Mailpit marks it read)."""
        return Message.from_wire(self._call("GET", f"/api/v1/message/{message_id}"))

    def wait_for_message(self, to: str, timeout: float = 5.0, *, after: str = "") -> Message:
        """The newest mail with a code to `to`, of those listed before the mail with ID `after` (all, when "");
        waits up to `timeout`. Only the listing's order (newest first, by arrival) counts: Mailpit's IDs are random."""

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
