"""The reCAPTCHA simulator as a site's server sees it: siteverify as Google serves it, its error codes, test keys."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from simulators.captcha import (
    GOOGLE_TEST_SECRET,
    GOOGLE_TEST_SITE_KEY,
    CaptchaClient,
    CaptchaFault,
    CaptchaMode,
    CaptchaSettings,
    create_app,
    tick,
)
from simulators.captcha.faults import ELSEWHERE_HOSTNAME
from simulators.client import SimulatorError
from simulators.serving import serve_asgi
from tests.simulators.captcha.served import ServedCaptcha

SITE_KEY, SECRET = "tpcd-test-site-key", "tpcd-test-secret"


def _token(url: str, hostname: str = "127.0.0.1", *, sitekey: str = SITE_KEY, scenario: str | None = None) -> str:
    headers = {"X-Tpcd-Scenario": scenario} if scenario else {}
    reply = requests.post(
        f"{url}/recaptcha/api2/userverify", json={"sitekey": sitekey, "hostname": hostname}, headers=headers, timeout=5
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
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(first["challenge_ts"]))
    again = _verify(captcha_url, secret=SECRET, response=token)
    # Google still names the tick's time and site (greggilbert/recaptcha#140): only success says no
    assert (again["success"], again["error-codes"], again["hostname"]) == (False, ["timeout-or-duplicate"], "127.0.0.1")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(again["challenge_ts"]))


def test_siteverify_takes_get_with_a_query_and_post_with_a_query_or_a_form(captcha_url: str) -> None:
    verify = f"{captcha_url}/recaptcha/api/siteverify"
    by_get = requests.get(verify, params={"secret": SECRET, "response": _token(captcha_url)}, timeout=5)
    by_query = requests.post(verify, params={"secret": SECRET, "response": _token(captcha_url)}, timeout=5)
    by_form = requests.post(verify, data={"secret": SECRET, "response": _token(captcha_url)}, timeout=5)
    for answer in (by_get, by_query, by_form):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["success"] is True


def test_documented_error_codes(captcha_url: str) -> None:
    token = _token(captcha_url)
    assert _verify(captcha_url, response=token)["error-codes"] == ["missing-input-secret"]
    assert _verify(captcha_url, secret="nope", response=token)["error-codes"] == ["invalid-input-secret"]
    assert _verify(captcha_url, secret=SECRET)["error-codes"] == ["missing-input-response"]
    assert _verify(captcha_url, secret=SECRET, response="forged")["error-codes"] == ["invalid-input-response"]
    assert _verify(captcha_url, secret=SECRET, response=token)["success"] is True  # none of that used the token up


def test_every_missing_field_is_reported_and_a_json_body_counts_for_nothing(captcha_url: str) -> None:
    """As Google answers a JSON body: both fields missing, response first."""
    answer = requests.post(
        f"{captcha_url}/recaptcha/api/siteverify",
        data=json.dumps({"secret": SECRET, "response": _token(captcha_url)}),
        headers={"Content-Type": "application/json"},
        timeout=5,
    ).json()
    assert answer == {"success": False, "error-codes": ["missing-input-response", "missing-input-secret"]}


def test_googles_test_secret_passes_any_token_any_number_of_times(captcha_url: str) -> None:
    for response in ("anything", "anything", _token(captcha_url, sitekey=GOOGLE_TEST_SITE_KEY)):
        answer = _verify(captcha_url, secret=GOOGLE_TEST_SECRET, response=response)
        assert answer["success"] is True
        assert answer["hostname"] == "testkey.google.com"


def test_googles_test_site_key_never_asks_for_an_image(captcha_url: str) -> None:
    with CaptchaClient(captcha_url) as client:
        client.set_mode(CaptchaMode.CHALLENGE)
        assert _token(captcha_url, sitekey=GOOGLE_TEST_SITE_KEY)


def test_a_token_only_passes_with_the_secret_of_its_own_site_key(captcha_url: str) -> None:
    token = _token(captcha_url)
    assert _verify(captcha_url, secret="nope", response=token)["error-codes"] == ["invalid-input-secret"]
    testing_token = _token(captcha_url, sitekey=GOOGLE_TEST_SITE_KEY)
    assert _verify(captcha_url, secret=SECRET, response=testing_token)["error-codes"] == ["invalid-input-response"]


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


@pytest.mark.parametrize(
    ("fault", "success"), [(CaptchaFault.SUCCESS_TEXT_TRUE, "true"), (CaptchaFault.SUCCESS_TEXT_FALSE, "false")]
)
def test_success_as_text_uses_up_the_token_and_names_its_hostname(
    captcha_url: str, fault: CaptchaFault, success: str
) -> None:
    with CaptchaClient(captcha_url) as client:
        client.arm(fault)
    token = _token(captcha_url, "portal.example.test")
    reply = requests.post(
        f"{captcha_url}/recaptcha/api/siteverify", data={"secret": SECRET, "response": token}, timeout=5
    )
    assert (reply.status_code, reply.headers["content-type"]) == (200, "application/json")
    assert '"success":"' + success + '"' in reply.text.replace(" ", "")  # a JSON string on the wire, not a boolean
    assert reply.json()["hostname"] == "portal.example.test"
    assert _verify(captcha_url, secret=SECRET, response=token)["error-codes"] == ["timeout-or-duplicate"]
    assert _verify(captcha_url, secret=SECRET, response=_token(captcha_url))["success"] is True  # armed once


def test_array_body_wraps_a_success_in_a_json_array(captcha_url: str) -> None:
    with CaptchaClient(captcha_url) as client:
        client.arm(CaptchaFault.ARRAY_BODY)
    answer = requests.post(
        f"{captcha_url}/recaptcha/api/siteverify", data={"secret": SECRET, "response": _token(captcha_url)}, timeout=5
    ).json()
    assert isinstance(answer, list)
    assert [(each["success"], each["hostname"]) for each in answer] == [(True, "127.0.0.1")]


def test_faults_also_hold_for_googles_test_keys(captcha_url: str) -> None:
    with CaptchaClient(captcha_url) as client:
        client.arm(CaptchaFault.REJECTED)
        assert _verify(captcha_url, secret=GOOGLE_TEST_SECRET, response="x") == {"success": False, "error-codes": []}


def test_a_fault_for_one_scenario_spares_the_tokens_of_another(captcha_url: str) -> None:
    """The browser's scenario tag travels with the token to siteverify, which the portal calls without it."""
    with CaptchaClient(captcha_url) as client:
        client.arm(CaptchaFault.REJECTED, match="scenario-a")
        other = _verify(captcha_url, secret=SECRET, response=_token(captcha_url, scenario="scenario-b"))
        assert other["success"] is True
        mine = _verify(captcha_url, secret=SECRET, response=_token(captcha_url, scenario="scenario-a"))
        assert mine == {"success": False, "error-codes": []}


def test_image_challenge(captcha_url: str) -> None:
    with CaptchaClient(captcha_url) as client:
        client.set_mode(CaptchaMode.CHALLENGE)
        opened = requests.post(
            f"{captcha_url}/recaptcha/api2/userverify", json={"sitekey": SITE_KEY, "hostname": "h"}, timeout=5
        ).json()
        assert opened["image"].startswith("<svg")
        assert client.challenge_answer()
        wrong = requests.post(
            f"{captcha_url}/recaptcha/api2/answer",
            json={"challenge": opened["challenge"], "answer": "x", "hostname": "h"},
            timeout=5,
        )
        assert wrong.json() == {"error": "incorrect-answer"}
        again = requests.post(
            f"{captcha_url}/recaptcha/api2/userverify", json={"sitekey": SITE_KEY, "hostname": "h"}, timeout=5
        ).json()
        solved = requests.post(
            f"{captcha_url}/recaptcha/api2/answer",
            json={"challenge": again["challenge"], "answer": client.challenge_answer(), "hostname": "h"},
            timeout=5,
        ).json()
        client.set_mode(CaptchaMode.PASS)
        assert _verify(captcha_url, secret=SECRET, response=solved["token"])["hostname"] == "h"


@pytest.mark.parametrize("query", ["", "?onload=ready&render=explicit&hl=en"])
def test_widget_script_and_unknown_site_key(captcha_url: str, query: str) -> None:
    script = requests.get(f"{captcha_url}/recaptcha/api.js{query}", timeout=5)
    assert script.headers["content-type"].startswith("text/javascript")
    assert "g-recaptcha-response" in script.text
    assert captcha_url in script.text
    params = re.search(r"var PARAMS = (\{.*?\});", script.text)
    assert params
    assert json.loads(params.group(1)) == ({"onload": "ready", "render": "explicit", "hl": "en"} if query else {})
    refused = requests.post(
        f"{captcha_url}/recaptcha/api2/userverify", json={"sitekey": "x", "hostname": "h"}, timeout=5
    ).json()
    assert refused["error"] == "ERROR for site owner: Invalid site key"


def test_the_https_ports_ca_is_on_the_control_surface(captcha_url: str, served_captcha: ServedCaptcha) -> None:
    with CaptchaClient(served_captcha.http) as client:
        assert client.ca_pem() == served_captcha.ca_file.read_bytes()
    with CaptchaClient(captcha_url) as plain, pytest.raises(SimulatorError, match="404"):
        plain.ca_pem()  # made without tls: no HTTPS port, no CA


def test_a_held_answer_comes_when_released_and_only_for_its_session(captcha_url: str) -> None:
    """HELD keeps the site's siteverify call waiting until the harness releases that browser session's answers; a
    release for another session, and other sessions' tokens, are not held."""
    with CaptchaClient(captcha_url, target="tab-1") as client, ThreadPoolExecutor(1) as pool:
        client.arm(CaptchaFault.HELD)
        assert _verify(captcha_url, secret=SECRET, response=_token(captcha_url, scenario="tab-2"))["success"] is True
        held = pool.submit(_verify, captcha_url, secret=SECRET, response=_token(captcha_url, scenario="tab-1"))
        client.wait_held()
        assert client.state()["held"] == {"tab-1": 1}
        with CaptchaClient(captcha_url, target="tab-2") as other:
            assert other.release() == 0
        assert client.state()["held"] == {"tab-1": 1}  # still waiting: another session's release is not its own
        assert client.release() == 1
        assert held.result(timeout=30)["success"] is True
        assert client.state()["held"] == {}


def test_a_held_answer_keeps_the_connection_alive_past_a_read_timeout(captcha_url: str) -> None:
    """A site reading with a 1 s timeout gets the verdict of an answer held for 1.5 s (then let go on its own); the
    timeout is five keep-alive ticks (0.2 s), so a busy server thread still beats it."""
    with CaptchaClient(captcha_url) as client:
        client.arm(CaptchaFault.HELD, seconds=1.5)
        token = _token(captcha_url)
        answer = requests.post(
            f"{captcha_url}/recaptcha/api/siteverify", data={"secret": SECRET, "response": token}, timeout=1.0
        )
        assert answer.json()["success"] is True


def test_tick_is_the_widget_s_own_request_and_its_token_passes_siteverify(captcha_url: str) -> None:
    """What a script walking the portal's forms (pages.attacker.Tab) is given to tick the box: the widget's request,
    from the page's session, against the script URL the page names."""
    with requests.Session() as page_session:
        token = tick(page_session, f"{captcha_url}/recaptcha/api.js", SITE_KEY, "127.0.0.1")
    assert _verify(captcha_url, secret=SECRET, response=token)["success"] is True
    with requests.Session() as page_session, pytest.raises(SimulatorError, match="userverify"):
        tick(page_session, f"{captcha_url}/recaptcha/api.js", "no-such-site-key", "127.0.0.1")
