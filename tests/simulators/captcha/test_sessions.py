"""On a stack several runs share, the box's mode and siteverify's faults belong to one browser session: the one whose
requests carry its session header (the harness's browser sends it on every request)."""

from __future__ import annotations

import requests

from simulators.captcha import CaptchaClient, CaptchaFault, CaptchaMode
from simulators.control import SESSION_HEADER

SITE_KEY, SECRET = "tpcd-test-site-key", "tpcd-test-secret"


def _tick(url: str, session: str) -> dict[str, str]:
    reply: dict[str, str] = requests.post(
        f"{url}/recaptcha/api2/userverify",
        json={"sitekey": SITE_KEY, "hostname": "portal.example.test"},
        headers={SESSION_HEADER: session},
        timeout=5,
    ).json()
    return reply


def _verify(url: str, token: str) -> requests.Response:
    return requests.post(f"{url}/recaptcha/api/siteverify", data={"secret": SECRET, "response": token}, timeout=5)


def test_a_siteverify_fault_hits_the_session_it_was_armed_for_only(captcha_url: str) -> None:
    with CaptchaClient(captcha_url, target="mine", shared=True) as mine:
        mine.arm(CaptchaFault.REJECTED)
        mine.arm(CaptchaFault.VERIFY_DOWN)
        theirs, own = _tick(captcha_url, "theirs")["token"], _tick(captcha_url, "mine")["token"]
        assert _verify(captcha_url, theirs).json()["success"] is True  # another run's scenario, ticked meanwhile
        assert _verify(captcha_url, own).status_code == 503
        assert _verify(captcha_url, own).json() == {"success": False, "error-codes": []}


def test_an_image_challenge_for_one_session_and_its_answer(captcha_url: str) -> None:
    with CaptchaClient(captcha_url, target="mine", shared=True) as mine:
        mine.set_mode(CaptchaMode.CHALLENGE)
        assert "token" in _tick(captcha_url, "theirs")
        challenge = _tick(captcha_url, "mine")["challenge"]
        answer = mine.challenge_answer()
        reply = requests.post(
            f"{captcha_url}/recaptcha/api2/answer",
            json={"challenge": challenge, "answer": answer, "hostname": "portal.example.test"},
            headers={SESSION_HEADER: "mine"},
            timeout=5,
        ).json()
        assert _verify(captcha_url, reply["token"]).json()["success"] is True
