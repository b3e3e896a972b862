"""reCAPTCHA faults as siteverify answers them (PROTOCOLS.md §8.2), and the widget's modes."""

from __future__ import annotations

from enum import StrEnum


class CaptchaFault(StrEnum):
    """What the next siteverify call answers instead of the truth."""

    TIMEOUT_OR_DUPLICATE = "timeout-or-duplicate"  # success:false, error-codes ["timeout-or-duplicate"]
    INVALID_RESPONSE = "invalid-input-response"  # success:false, error-codes ["invalid-input-response"]
    FAILED_NO_CODES = "failed-no-codes"  # success:false with an empty error-codes list
    HOSTNAME_MISMATCH = "hostname-mismatch"  # success:true, but for another site's hostname
    VERIFY_DOWN = "verify-down"  # siteverify answers HTTP 503


class CaptchaMode(StrEnum):
    """How the 「我不是機器人」 box behaves when ticked."""

    PASS = "pass"  # ticking gives a token at once
    FAIL = "fail"  # ticking gives a token that siteverify rejects (success:false)
    CHALLENGE = "challenge"  # ticking opens an image of digits to type first


ELSEWHERE_HOSTNAME = "elsewhere.example.test"
