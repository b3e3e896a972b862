"""Read the newest one-time code a citizen received, by SMS or e-mail, each code at most once."""

from __future__ import annotations

from harness.citizens import Channel
from simulators.mail import MailClient
from simulators.sms import SmsClient


class CodeReader:
    """Waits for a code newer than the last one it handed out for that address."""

    def __init__(self, sms: SmsClient, mail: MailClient) -> None:
        self.sms, self.mail = sms, mail
        self._seen_sms: dict[str, int] = {}
        self._seen_mail: dict[str, str] = {}

    def newest(self, channel: Channel, to: str, timeout: float = 5.0) -> str:
        """The code in the first message to `to` not read before, waiting up to `timeout` seconds."""
        if channel is Channel.MOBILE:
            code = self.sms.wait_for_otp(to, timeout, after=self._seen_sms.get(to, 0))
            self._seen_sms[to] = self.sms.last_id(to)
        else:
            code = self.mail.wait_for_otp(to, timeout, after=self._seen_mail.get(to, ""))
            self._seen_mail[to] = self.mail.last_id(to)
        return code


def wrong_code(code: str) -> str:
    """A six-digit code that is surely not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
