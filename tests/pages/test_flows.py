"""Both ways to a screen mid-journey land the citizen's browser in the same place, in a state it can go on from:
screen by screen in the browser, or through the portal's forms over HTTP with the session handed to the browser."""

from __future__ import annotations

import http.server
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import Cookie, CookieJar

import pytest
from playwright.sync_api import Page, expect

from domain.citizen import Channel, CitizenProfile
from harness.codes import CodeReader
from harness.settings import Settings
from pages.flows import Arrival, ByHttp, InBrowser, browser_cookies
from pages.gold import CardVerificationPage
from pages.register import MemberHomePage, SetPasswordPage
from simulators import captcha
from simulators.control import SESSION_HEADER


@pytest.fixture(params=["in the browser", "by HTTP"])
def arrival(
    request: pytest.FixtureRequest,
    page: Page,
    portal_url: str,
    portal_home: str,
    scenario_id: str,
    tpcd_settings: Settings,
) -> Arrival:
    if request.param == "in the browser":
        return InBrowser(page)
    headers = {"User-Agent": tpcd_settings.user_agent, SESSION_HEADER: scenario_id}
    return ByHttp(page, portal_url, headers=headers, home=portal_home, solver=captcha.tick)


def _pages_visited(page: Page) -> int:
    return int(page.evaluate("history.length"))


def test_consent_leaves_the_contact_page_ready_for_a_code(
    arrival: Arrival, page: Page, citizen: CitizenProfile
) -> None:
    screen = arrival.consent()
    screen.send_code(Channel.MOBILE, citizen.mobile)
    screen.expect_code_sent()


def test_a_verified_contact_leaves_the_basic_data_form_open(
    arrival: Arrival, page: Page, citizen: CitizenProfile, codes: CodeReader
) -> None:
    screen = arrival.verify_contact(citizen, Channel.EMAIL, codes.newest)
    assert isinstance(screen.fill_and_continue(citizen), SetPasswordPage)


def test_a_registered_citizen_answers_the_gold_question_in_the_browser(
    arrival: Arrival, page: Page, citizen: CitizenProfile, codes: CodeReader
) -> None:
    arrival.register(citizen, codes.newest).press("否")
    expect(MemberHomePage(page).expect_shown().status).to_have_text("未實名")


def test_gold_verification_opens_logged_in_and_finds_the_running_agent(
    arrival: Arrival, page: Page, citizen: CitizenProfile, codes: CodeReader
) -> None:
    gold = arrival.go_gold(citizen, codes.newest)
    expect(gold.agent_status).to_contain_text("安控元件已啟動")
    assert isinstance(gold.go_to_step_two(), CardVerificationPage)


def test_member_home_is_the_member_s_own(
    arrival: Arrival, page: Page, citizen: CitizenProfile, codes: CodeReader
) -> None:
    home = arrival.member_home(citizen, codes.newest)
    expect(home.status).to_have_text("未實名")
    home.press("登出")
    expect(page.get_by_role("heading", level=1)).to_have_text("臺北卡3.0")


def test_only_the_http_way_leaves_the_browser_with_one_page_visited(
    page: Page, portal_url: str, citizen: CitizenProfile, codes: CodeReader
) -> None:
    ByHttp(page, portal_url, solver=captcha.tick).register(citizen, codes.newest)
    assert _pages_visited(page) == 2  # the blank page it started on, and the screen it was handed


# As Starlette's SessionMiddleware writes it, and in the case RFC 6265's examples use.
STARLETTE = "tpcd_session=abc; path=/; Max-Age=1209600; httponly; samesite=lax"
CAPITALISED = "tpcd_session=abc; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax"


@pytest.mark.parametrize("set_cookie", [STARLETTE, CAPITALISED])
def test_the_browser_gets_the_session_cookie_as_the_portal_set_it(set_cookie: str) -> None:
    jar = CookieJar()  # filled by the standard library's own HTTP client from a real reply, as requests fills it
    with _serving(set_cookie) as url:
        urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(url, timeout=10).read()
    jar.set_cookie(_cookie("other", "x", "captcha.example.test", rest={}))
    (handed,) = browser_cookies(jar, url)
    assert handed == {
        "name": "tpcd_session",
        "value": "abc",
        "domain": "127.0.0.1",
        "path": "/",
        "secure": False,
        "httpOnly": True,
        "sameSite": "Lax",
        "expires": handed["expires"],
    }


@contextmanager
def _serving(set_cookie: str) -> Iterator[str]:
    """A server on loopback whose one reply sets `set_cookie`."""

    class Reply(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Set-Cookie", set_cookie)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Reply)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/register"
    finally:
        server.shutdown()
        server.server_close()


def _cookie(name: str, value: str, domain: str, *, rest: dict[str, str]) -> Cookie:
    return Cookie(0, name, value, None, False, domain, False, False, "/", True, False, None, True, None, None, rest)
