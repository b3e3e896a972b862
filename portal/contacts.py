"""The mobile numbers and e-mail addresses a code may be sent to, in the one form the portal stores and compares."""

from __future__ import annotations

import re

MOBILE = re.compile(r"09\d{8}")
# RFC 5321 §4.1.2: Mailbox = Dot-string "@" Domain. A sane subset: no quoted local part, no address literal, ASCII
# only. Dot-string is Atoms of RFC 5322 atext joined by single dots, so `<`, `>`, `,`, `"`, spaces and line breaks
# never get in (nothing that could add a recipient or a header).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # RFC 1035 §2.3.1, as RFC 5321's sub-domain
EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")
MAX_LOCAL, MAX_ADDRESS = 64, 254  # RFC 5321 §4.5.3.1.1; 254 = the 256-octet path less its angle brackets


class AddressError(ValueError):
    """Not an address the portal sends to; the message is what the citizen reads."""


def normalized(channel: str, typed: str) -> str:
    """The address as stored and sent to: as typed (trimmed); `folded` is how it is compared."""
    address = typed.strip()
    if channel == "mobile":
        if not MOBILE.fullmatch(address):
            raise AddressError("手機號碼格式不正確，請輸入 09 開頭的 10 碼數字。")
        return address
    local = address.rpartition("@")[0]
    if not EMAIL.fullmatch(address) or len(local) > MAX_LOCAL or len(address) > MAX_ADDRESS:
        raise AddressError("電子郵件格式不正確，請確認後再試。")
    return address


def folded(channel: str, address: str) -> str:
    """The address as compared: an e-mail address in lower case, local part included. RFC 5321 lets the receiving
    host treat the local part case-sensitively, but the big mail providers do not, so Citizen@Example.TEST and
    citizen@example.test are one mailbox: one member, one cooldown."""
    return address.lower() if channel == "email" else address
