"""Messages without a code that reach a citizen (「此手機號碼已註冊為會員」 …), read from the SMS or mail inbox."""

from __future__ import annotations

from domain.citizen import Channel
from simulators.client import wait_until
from simulators.inbox import find_otp
from simulators.mail import MailClient
from simulators.sms import SmsClient


def wait_for_notice(
    sms: SmsClient, mail: MailClient, channel: Channel, to: str, *, containing: str, timeout: float = 5.0
) -> str:
    """The text of the newest message to `to` that contains `containing`, waiting up to `timeout` seconds."""

    def newest() -> str | None:
        if channel is Channel.MOBILE:
            bodies = [m.body for m in reversed(sms.messages(to))]  # listed oldest first
        else:
            bodies = [mail.message(m.id).text for m in mail.messages(to)]  # listed newest first
        return next((body for body in bodies if containing in body), None)

    return wait_until(newest, timeout=timeout, what=f"no message to {to} said 「{containing}」")


def without_code(text: str) -> bool:
    """Whether a message carries no one-time code: a notice, not a code."""
    return find_otp(text) is None
