"""Read the newest one-time code a citizen received, by SMS or e-mail, each code at most once."""

from __future__ import annotations

from collections.abc import Callable

from domain.citizen import Channel
from simulators.mail import MailClient
from simulators.sms import SmsClient

OnRead = Callable[[Channel, str, str], None]  # (channel, address, the message as received) → e.g. a report attachment


class CodeReader:
    """Waits for a code newer than the last one it handed out for that address."""

    def __init__(self, sms: SmsClient, mail: MailClient, on_read: OnRead | None = None) -> None:
        self.sms, self.mail, self.on_read = sms, mail, on_read
        self._seen_sms: dict[str, int] = {}  # address → id of the message whose code was handed out
        self._seen_mail: dict[str, str] = {}
        self.handed_out: list[str] = []  # every code read: secrets the report scrubs out of its artefacts (scrub.py)

    def newest(self, channel: Channel, to: str, timeout: float = 5.0) -> str:
        """The code in the newest message to `to` not read before, waiting up to `timeout` seconds."""
        if channel is Channel.MOBILE:
            sms = self.sms.wait_for_message(to, timeout, after=self._seen_sms.get(to, 0))
            self._seen_sms[to] = sms.id
            code, shown = sms.otp, f"收件手機：{to}\n時間：{sms.received_at}\n\n{sms.body}"
        else:
            mail = self.mail.wait_for_message(to, timeout, after=self._seen_mail.get(to, ""))
            self._seen_mail[to] = mail.id
            code, shown = mail.otp, f"收件者：{to}\n主旨：{mail.subject}\n時間：{mail.date}\n\n{mail.text}"
        if code is not None:
            self.handed_out.append(code)  # before on_read: the attached message is already scrubbed of it
        if self.on_read is not None:
            self.on_read(channel, to, shown)
        assert code is not None  # wait_for_message only returns a message that carries one
        return code

    def last(self) -> str:
        """The code handed out last, for a citizen who mistyped it and now types it right."""
        if not self.handed_out:
            raise LookupError("no code has been read yet")
        return self.handed_out[-1]


def wrong_code(code: str) -> str:
    """A six-digit code that is surely not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
