"""reCAPTCHA faults as siteverify answers them (docs/protocols/recaptcha.md), and what ticking the box does."""

from __future__ import annotations

from enum import StrEnum


class CaptchaFault(StrEnum):
    """What the next siteverify call answers instead of the truth: the one way a tick does not pass."""

    TIMEOUT_OR_DUPLICATE = "timeout-or-duplicate"  # success:false, error-codes ["timeout-or-duplicate"]
    INVALID_RESPONSE = "invalid-input-response"  # success:false, error-codes ["invalid-input-response"]
    REJECTED = "success-false"  # success:false with an empty error-codes list: the token vouches for no human
    HOSTNAME_MISMATCH = "hostname-mismatch"  # success:true, but for another site's hostname
    VERIFY_DOWN = "verify-down"  # siteverify answers HTTP 503
    # siteverify answers late: HTTP 200 at once, then a space every 0.2 s (JSON allows leading whitespace, and a
    # reader waiting on the next byte does not time out) until the harness releases it (POST /_control/release) or
    # `seconds` pass (default 60), then the true verdict: a Google slow to answer while the citizen does something else
    HELD = "held"
    # siteverify answers HTTP 200 and JSON, but not in Google's shape (docs/protocols/recaptcha.md#malformed-answers):
    # the token is used up, and what comes back is no verdict a site may read
    SUCCESS_TEXT_TRUE = "success-text-true"  # `"success": "true"`, a string, with the token's hostname
    SUCCESS_TEXT_FALSE = "success-text-false"  # `"success": "false"`, a string (truthy as text), with the hostname
    ARRAY_BODY = "array-body"  # the success verdict inside a JSON array: `[{"success": true, …}]`


MALFORMED = frozenset({CaptchaFault.SUCCESS_TEXT_TRUE, CaptchaFault.SUCCESS_TEXT_FALSE, CaptchaFault.ARRAY_BODY})


class CaptchaMode(StrEnum):
    """What ticking the 「我不是機器人」 box does; reCAPTCHA v2 decides per visitor whether to ask for more."""

    PASS = "pass"  # a token at once
    CHALLENGE = "challenge"  # an image of digits to type first, then a token


ELSEWHERE_HOSTNAME = "elsewhere.example.test"  # HOSTNAME_MISMATCH's hostname: a site that is not the portal

# Google's published key pair for automated tests: always passes, for the hostname below
# (docs/protocols/recaptcha.md#test-keys).
GOOGLE_TEST_SITE_KEY = "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI"
GOOGLE_TEST_SECRET = "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe"  # public by design: Google prints it in its FAQ
TEST_KEY_HOSTNAME = "testkey.google.com"
