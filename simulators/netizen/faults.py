"""網路市民 faults (docs/protocols/netizen-oauth.md: no public API is known, so these are our own terms)."""

from __future__ import annotations

from enum import StrEnum


class NetizenFault(StrEnum):
    """What the legacy account service does instead of answering."""

    UNAVAILABLE = "unavailable"  # every protocol endpoint answers HTTP 503
    WRONG_PASSWORD = "wrong_password"  # the login page refuses the right password: 「帳號或密碼錯誤」
    NO_ID_NUMBER = "no_id_number"  # the profile comes back without id_number (it was optional at sign-up)
