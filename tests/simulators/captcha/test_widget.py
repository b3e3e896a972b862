"""The stand-in api.js in Chromium, used as developers.google.com/recaptcha/docs/display and docs/invisible document
the JavaScript API: explicit render, execute, reset, getResponse, the response textarea pages look up, hl, the
callbacks, and the test key's banner."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from simulators.captcha import GOOGLE_TEST_SITE_KEY
from simulators.serving import serve_asgi
from tests.simulators.captcha.served import ServedCaptcha

SITE_KEY, SECRET = "tpcd-test-site-key", "tpcd-test-secret"
CALLBACKS = """<script>
  window.seen = [];
  function done(token) { seen.push(["callback", token]); }
  function expired() { seen.push(["expired"]); }
  function failed() { seen.push(["error"]); }
</script>"""


class Site:
    """A site on loopback whose pages the test writes (the widget calls the simulator cross-origin, as on a portal)."""

    def __init__(self, url: str, pages: dict[str, str]) -> None:
        self.url, self.pages = url, pages
        self.names = itertools.count()

    def serve(self, body: str) -> str:
        name = f"page{next(self.names)}"
        self.pages[name] = (
            f"<!doctype html><html><head><title>{name}</title>{CALLBACKS}</head><body>{body}</body></html>"
        )
        return f"{self.url}/{name}"


@pytest.fixture
def site() -> Iterator[Site]:
    pages: dict[str, str] = {}

    async def page(request: Request) -> HTMLResponse:
        name = request.path_params["name"]
        return HTMLResponse(pages[name]) if name in pages else HTMLResponse("", status_code=404)

    with serve_asgi(Starlette(routes=[Route("/{name}", page)]), name="site") as url:
        yield Site(url, pages)


@pytest.fixture
def page(widget_context: BrowserContext) -> Page:
    return widget_context.new_page()


def _seen(page: Page) -> list[list[Any]]:
    seen: list[list[Any]] = page.evaluate("window.seen")
    return seen


def _verify(captcha: ServedCaptcha, token: str) -> dict[str, Any]:
    answer: dict[str, Any] = requests.post(
        f"{captcha.http}/recaptcha/api/siteverify", data={"secret": SECRET, "response": token}, timeout=5
    ).json()
    return answer


def test_explicit_render_with_onload_and_hl(site: Site, page: Page, served_captcha: ServedCaptcha) -> None:
    page.clock.install()  # the widget's expiry timer runs on a clock the test moves
    page.goto(
        site.serve(
            f"""<form><div id="box"></div><div class="g-recaptcha" data-sitekey="{SITE_KEY}"></div></form>
            <script>
              function onloadCallback() {{
                window.widget = grecaptcha.render("box", {{
                  sitekey: "{SITE_KEY}", callback: done, "expired-callback": expired, theme: "dark"
                }});
              }}
            </script>
            <script src="{served_captcha.http}/recaptcha/api.js?onload=onloadCallback&render=explicit&hl=en"
              async defer></script>"""
        )
    )
    checkbox = page.get_by_role("checkbox", name="I'm not a robot")
    expect(checkbox).to_have_count(1)  # render=explicit: the .g-recaptcha element is left alone
    assert page.evaluate("window.widget") == 0
    checkbox.check()
    expect(page.get_by_role("status")).to_have_text("Verified")
    token = page.evaluate("grecaptcha.getResponse()")
    assert _seen(page) == [["callback", token]]
    field = page.locator("#box textarea#g-recaptcha-response")
    assert field.get_attribute("name") == "g-recaptcha-response"
    assert field.input_value() == token
    assert _verify(served_captcha, token)["hostname"] == "127.0.0.1"
    # the token's two minutes run out: the box is cleared and the page told
    page.clock.fast_forward("02:00")
    expect(page.get_by_role("status")).to_have_text("Verification expired. Check the checkbox again.")
    assert _seen(page)[-1] == ["expired"]
    assert page.evaluate("grecaptcha.getResponse(0)") == ""
    assert field.input_value() == ""


def test_auto_render_two_widgets_reset_and_get_response_by_id(
    site: Site, page: Page, served_captcha: ServedCaptcha
) -> None:
    page.goto(
        site.serve(
            f"""<div class="g-recaptcha" data-sitekey="{SITE_KEY}" data-callback="done"></div>
            <div class="g-recaptcha" data-sitekey="{SITE_KEY}" data-callback="done"></div>
            <script src="{served_captcha.http}/recaptcha/api.js" async defer></script>"""
        )
    )
    boxes = page.get_by_role("checkbox", name="我不是機器人")  # no hl: the browser's language, zh-TW here
    expect(boxes).to_have_count(2)
    boxes.nth(0).check()
    boxes.nth(1).check()
    # each box answers on its own round trip: wait for both, not only the last one checked
    expect(page.get_by_role("status")).to_have_text(["驗證成功", "驗證成功"])
    second = page.evaluate("grecaptcha.getResponse(1)")
    assert page.locator("#g-recaptcha-response-1").input_value() == second
    assert second != page.evaluate("grecaptcha.getResponse()")
    page.evaluate("grecaptcha.reset(1)")
    assert page.evaluate("grecaptcha.getResponse(1)") == ""
    expect(boxes.nth(1)).not_to_be_checked()
    assert page.evaluate("grecaptcha.getResponse(0)") != ""
    page.evaluate("grecaptcha.reset()")
    assert page.locator("#g-recaptcha-response").input_value() == ""


def test_execute_an_invisible_widget(site: Site, page: Page, served_captcha: ServedCaptcha) -> None:
    page.goto(
        site.serve(
            f"""<div class="g-recaptcha" data-sitekey="{SITE_KEY}" data-callback="done" data-size="invisible"></div>
            <script src="{served_captcha.http}/recaptcha/api.js" async defer></script>"""
        )
    )
    expect(page.get_by_role("group", name="reCAPTCHA")).to_contain_text("受 reCAPTCHA 保護")
    expect(page.get_by_role("checkbox")).to_have_count(0)
    page.evaluate("grecaptcha.execute()")
    token = page.wait_for_function("window.seen.length && window.seen[0][1]").json_value()
    assert _verify(served_captcha, token)["success"] is True


def test_a_button_bound_invisible_widget_runs_on_click(site: Site, page: Page, served_captcha: ServedCaptcha) -> None:
    page.goto(
        site.serve(
            f"""<form><button class="g-recaptcha" data-sitekey="{SITE_KEY}" data-callback="done">Submit</button></form>
            <script src="{served_captcha.http}/recaptcha/api.js" async defer></script>"""
        )
    )
    expect(page.get_by_role("group", name="reCAPTCHA")).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    token = page.wait_for_function("window.seen.length && window.seen[0][1]").json_value()
    assert page.locator("form textarea[name=g-recaptcha-response]").input_value() == token


def test_googles_test_key_shows_its_banner_and_ours_does_not(
    site: Site, page: Page, served_captcha: ServedCaptcha
) -> None:
    banner = "This reCAPTCHA is for testing purposes only. Please report to the site admin if you are seeing this."
    page.goto(
        site.serve(
            f"""<div id="google" class="g-recaptcha" data-sitekey="{GOOGLE_TEST_SITE_KEY}"></div>
            <div id="ours" class="g-recaptcha" data-sitekey="{SITE_KEY}"></div>
            <script src="{served_captcha.http}/recaptcha/api.js" async defer></script>"""
        )
    )
    expect(page.locator("#google")).to_contain_text(banner)
    expect(page.locator("#ours").get_by_role("checkbox")).to_be_visible()
    expect(page.locator("#ours")).not_to_contain_text(banner)


def test_the_error_callback_when_recaptcha_cannot_be_reached(
    site: Site, page: Page, served_captcha: ServedCaptcha
) -> None:
    page.route("**/recaptcha/api2/userverify", lambda route: route.abort())
    page.goto(
        site.serve(
            f"""<div class="g-recaptcha" data-sitekey="{SITE_KEY}" data-error-callback="failed"></div>
            <script src="{served_captcha.http}/recaptcha/api.js" async defer></script>"""
        )
    )
    page.get_by_role("checkbox", name="我不是機器人").click()  # not check(): the box unticks itself at once
    expect(page.get_by_role("status")).to_have_text("無法連線到驗證服務，請稍後再試")
    assert _seen(page) == [["error"]]
    expect(page.get_by_role("checkbox")).not_to_be_checked()


def test_the_api_refuses_what_googles_refuses(site: Site, page: Page, served_captcha: ServedCaptcha) -> None:
    page.goto(
        site.serve(
            f"""<div id="a"></div><div id="b"></div>
            <script src="{served_captcha.http}/recaptcha/api.js?render=explicit" async defer></script>"""
        )
    )
    page.wait_for_function("typeof window.grecaptcha === 'object'")

    def error(script: str) -> str:
        message: str = page.evaluate(f"() => {{ try {{ {script}; return ''; }} catch (e) {{ return e.message; }} }}")
        return message

    assert error("grecaptcha.getResponse()") == "No reCAPTCHA clients exist."
    assert error("grecaptcha.render('a', {})") == "Missing required parameters: sitekey"
    assert error(f"grecaptcha.render('a', {{sitekey: '{SITE_KEY}'}})") == ""
    assert error(f"grecaptcha.render('a', {{sitekey: '{SITE_KEY}'}})") == (
        "reCAPTCHA has already been rendered in this element"
    )
    assert error(f"grecaptcha.render('missing', {{sitekey: '{SITE_KEY}'}})") == (
        "reCAPTCHA placeholder element must be an element or id"
    )
    assert error("grecaptcha.getResponse(5)") == "Invalid reCAPTCHA client id: 5"
