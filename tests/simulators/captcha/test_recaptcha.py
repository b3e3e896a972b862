"""The reCAPTCHA simulator as a site's server sees it: Google's siteverify shape and error codes."""

from __future__ import annotations

import requests

from simulators._serving import serve_asgi
from simulators.captcha import CaptchaClient, CaptchaFault, CaptchaMode, CaptchaSettings, create_app
from simulators.captcha.faults import ELSEWHERE_HOSTNAME

SITE_KEY, SECRET = "tpcd-test-site-key", "tpcd-test-secret"


def _token(url: str, hostname: str = "127.0.0.1") -> str:
    reply = requests.post(
        f"{url}/recaptcha/api2/userverify", json={"sitekey": SITE_KEY, "hostname": hostname}, timeout=5
    ).json()
    token: str = reply["token"]
    return token


def _verify(url: str, **fields: str) -> dict[str, object]:
    answer: dict[str, object] = requests.post(f"{url}/recaptcha/api/siteverify", data=fields, timeout=5).json()
    return answer


def test_a_token_passes_once(captcha_url: str) -> None:
    token = _token(captcha_url)
    first = _verify(captcha_url, secret=SECRET, response=token, remoteip="127.0.0.1")
    assert first["success"] is True
    assert first["hostname"] == "127.0.0.1"
    assert str(first["challenge_ts"]).endswith("Z")
    assert _verify(captcha_url, secret=SECRET, response=token) == {
        "success": False,
        "error-codes": ["timeout-or-duplicate"],
    }


def test_documented_error_codes(captcha_url: str) -> None:
    token = _token(captcha_url)
    assert _verify(captcha_url, response=token)["error-codes"] == ["missing-input-secret"]
    assert _verify(captcha_url, secret="nope", response=token)["error-codes"] == ["invalid-input-secret"]
    assert _verify(captcha_url, secret=SECRET)["error-codes"] == ["missing-input-response"]
    assert _verify(captcha_url, secret=SECRET, response="forged")["error-codes"] == ["invalid-input-response"]


def test_token_expires_after_its_ttl() -> None:
    with serve_asgi(create_app(CaptchaSettings(token_ttl=0.0)), name="captcha") as url:
        assert _verify(url, secret=SECRET, response=_token(url))["error-codes"] == ["timeout-or-duplicate"]


def test_armed_timeout_or_duplicate(captcha_url: str) -> None:
    with CaptchaClient(captcha_url) as client:
        client.arm(CaptchaFault.TIMEOUT_OR_DUPLICATE)
        assert _verify(captcha_url, secret=SECRET, response=_token(captcha_url))["error-codes"] == [
            "timeout-or-duplicate"
        ]
        assert _verify(captcha_url, secret=SECRET, response=_token(captcha_url))["success"] is True


def test_faults(captcha_url: str) -> None:
    with CaptchaClient(captcha_url) as client:
        client.arm(CaptchaFault.VERIFY_DOWN)
        down = requests.post(
            f"{captcha_url}/recaptcha/api/siteverify", data={"secret": SECRET, "response": "x"}, timeout=5
        )
        assert down.status_code == 503
        client.arm(CaptchaFault.HOSTNAME_MISMATCH)
        assert _verify(captcha_url, secret=SECRET, response=_token(captcha_url))["hostname"] == ELSEWHERE_HOSTNAME
        client.arm(CaptchaFault.INVALID_RESPONSE)
        assert _verify(captcha_url, secret=SECRET, response=_token(captcha_url)) == {
            "success": False,
            "error-codes": ["invalid-input-response"],
        }
        client.arm(CaptchaFault.REJECTED)
        token = _token(captcha_url)
        assert _verify(captcha_url, secret=SECRET, response=token) == {"success": False, "error-codes": []}
        assert _verify(captcha_url, secret=SECRET, response=token)["success"] is True  # the next one passes


def test_image_challenge(captcha_url: str) -> None:
    with CaptchaClient(captcha_url) as client:
        client.set_mode(CaptchaMode.CHALLENGE)
        opened = requests.post(
            f"{captcha_url}/recaptcha/api2/userverify", json={"sitekey": SITE_KEY, "hostname": "h"}, timeout=5
        ).json()
        assert opened["image"].startswith("<svg")
        answer = client.challenge_answer()
        wrong = requests.post(
            f"{captcha_url}/recaptcha/api2/answer",
            json={"challenge": opened["challenge"], "answer": "x", "hostname": "h"},
            timeout=5,
        )
        assert "error" in wrong.json()
        again = requests.post(
            f"{captcha_url}/recaptcha/api2/userverify", json={"sitekey": SITE_KEY, "hostname": "h"}, timeout=5
        ).json()
        solved = requests.post(
            f"{captcha_url}/recaptcha/api2/answer",
            json={"challenge": again["challenge"], "answer": client.challenge_answer(), "hostname": "h"},
            timeout=5,
        ).json()
        assert answer
        client.set_mode(CaptchaMode.PASS)
        assert _verify(captcha_url, secret=SECRET, response=solved["token"])["success"] is True


def test_widget_script_and_unknown_site_key(captcha_url: str) -> None:
    script = requests.get(f"{captcha_url}/recaptcha/api.js", timeout=5)
    assert script.headers["content-type"].startswith("text/javascript")
    assert "g-recaptcha-response" in script.text
    assert captcha_url in script.text
    refused = requests.post(
        f"{captcha_url}/recaptcha/api2/userverify", json={"sitekey": "x", "hostname": "h"}, timeout=5
    ).json()
    assert "Invalid site key" in refused["error"]
