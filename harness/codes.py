"""Read the newest one-time code a citizen received, by SMS or e-mail, each code at most once."""

from __future__ import annotations

from collections.abc import Callable

from harness.citizens import Channel
from simulators.mail import MailClient
from simulators.sms import SmsClient

OnRead = Callable[[Channel, str, str], None]  # (channel, address, the message as received) → e.g. a report attachment


class CodeReader:
    """Waits for a code newer than the last one it handed out for that address."""

    def __init__(self, sms: SmsClient, mail: MailClient, on_read: OnRead | None = None) -> None:
        self.sms, self.mail, self.on_read = sms, mail, on_read
        self._seen_sms: dict[str, int] = {}
        self._seen_mail: dict[str, str] = {}

    def newest(self, channel: Channel, to: str, timeout: float = 5.0) -> str:
        """The code in the first message to `to` not read before, waiting up to `timeout` seconds."""
        if channel is Channel.MOBILE:
            code = self.sms.wait_for_otp(to, timeout, after=self._seen_sms.get(to, 0))
            newest = self.sms.messages(to)[-1]
            self._seen_sms[to] = int(newest["id"])
            shown = f"收件手機：{to}\n時間：{newest['received_at']}\n\n{newest['body']}"
        else:
            code = self.mail.wait_for_otp(to, timeout, after=self._seen_mail.get(to, ""))
            newest = self.mail.message(self.mail.last_id(to))
            self._seen_mail[to] = str(newest["ID"])
            shown = f"收件者：{to}\n主旨：{newest['Subject']}\n時間：{newest['Created']}\n\n{newest['Text']}"
        if self.on_read is not None:
            self.on_read(channel, to, shown)
        return code


def wrong_code(code: str) -> str:
    """A six-digit code that is surely not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
