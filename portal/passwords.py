"""The portal's password rules (shown on the page, checked on the server) and scrypt hashing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule as the page lists it."""

    key: str
    label: str
    pattern: str  # a JavaScript-compatible regex the page uses to show the rule met or unmet as the citizen types


RULES = (
    Rule("length", "長度 8 至 20 個字元", r"^.{8,20}$"),
    Rule("upper", "至少一個大寫英文字母", r"[A-Z]"),
    Rule("lower", "至少一個小寫英文字母", r"[a-z]"),
    Rule("digit", "至少一個數字", r"[0-9]"),
)
# scrypt cost: n=2**14, r=8, p=1 (RFC 7914's interactive-login figures).
_N, _R, _P = 2**14, 8, 1
# Checked against when nobody holds the account typed, so that path costs one scrypt like a wrong password; no
# password matches an all-zero digest in practice, and the route refuses an unknown account whatever it returns.
UNKNOWN_ACCOUNT_HASH = f"scrypt${base64.b64encode(bytes(16)).decode()}${base64.b64encode(bytes(64)).decode()}"


def unmet(password: str) -> list[Rule]:
    """The rules `password` breaks, in the page's order."""
    return [rule for rule in RULES if not re.search(rule.pattern, password)]


def hash_password(password: str) -> str:
    """`scrypt$salt$hash`, base64."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash."""
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=_N, r=_R, p=_P)
    return hmac.compare_digest(computed, base64.b64decode(digest))
