"""The portal's siteverify adapter against reCAPTCHA's documented replies (docs/protocols/recaptcha.md#siteverify)."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from portal.adapters.captcha import CaptchaUnavailable, SiteVerify

URL = "https://www.google.com/recaptcha/api/siteverify"


@responses.activate
def test_success_carries_the_hostname_and_posts_the_documented_fields() -> None:
    responses.post(
        URL,
        json={"success": True, "challenge_ts": "2026-11-26T12:00:00Z", "hostname": "testkey.google.com"},
        match=[matchers.urlencoded_params_matcher({"secret": "s", "response": "t", "remoteip": "1.2.3.4"})],
    )
    verdict = SiteVerify(URL, "s", timeout=2).check("t", "1.2.3.4")
    assert verdict.success
    assert verdict.hostname == "testkey.google.com"


@pytest.mark.parametrize(
    "code",
    [
        "missing-input-secret",
        "invalid-input-secret",
        "missing-input-response",
        "invalid-input-response",
        "bad-request",
        "timeout-or-duplicate",
    ],
)
@responses.activate
def test_each_documented_error_code_is_a_failed_verdict(code: str) -> None:
    responses.post(URL, json={"success": False, "error-codes": [code]})
    verdict = SiteVerify(URL, "s", timeout=2).check("t")
    assert not verdict.success
    assert verdict.error_codes == (code,)


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 503},
        {"body": "<html>oops</html>"},
        {"json": {"ok": True}},
        {"json": {"success": "false", "hostname": "testkey.google.com"}},
        {"json": {"success": "true", "hostname": "testkey.google.com"}},
        {"json": [{"success": True, "hostname": "testkey.google.com"}]},
        {"body": requests.ConnectTimeout("x")},
    ],
    ids=[
        "http-503",
        "not-json",
        "no-success-field",
        "success-as-text-false",
        "success-as-text-true",
        "array",
        "timeout",
    ],
)
@responses.activate
def test_no_proper_answer_means_unavailable(reply: dict[str, object]) -> None:
    responses.post(URL, **reply)
    with pytest.raises(CaptchaUnavailable):
        SiteVerify(URL, "s", timeout=2).check("t")
