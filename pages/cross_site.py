"""A page of another service on the portal's own site (its host, another port), or of another site altogether,
opened in the citizen's browser.

The portal's session cookie is SameSite=Lax: a form another *site* posts arrives without it. Another *origin of the
same site* (another port of the host; in a deployment, another service under the same registrable domain) is
same-site, so its forms arrive with the citizen's cookie, and only the token in the portal's own forms tells them
apart; the page cannot read the citizen's page, so it can at best guess the token (its field's name is no secret:
everyone is shown the same form). Playwright serves that page itself (`BrowserContext.route`): nothing listens at its
address. The form it posts is read off the portal's page the citizen is shown (its action, its fields' names), never a
route of the suite's.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from playwright.sync_api import Route

from domain.citizen import Channel
from pages.register import VerifyContactPage

# Ports for the other service: the first the portal does not use (Chromium refuses none of them as unsafe).
OTHER_PORTS = (8081, 8082)
PAGE_PATH = "/news/today.html"
# Another site: a name under the reserved `.example` (RFC 2606), which no portal is deployed at; Playwright serves it,
# so nothing resolves or listens there.
OTHER_SITE_HOST = "news.example"
GUESS_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the portal answered the other service's form: its HTTP status, the alerts the citizen then reads, and
    whether the browser sent its cookies with the form (it does between origins of one site: the premise)."""

    status: int
    url: str
    alerts: tuple[str, ...]
    with_cookies: bool


def another_service(portal_url: str) -> str:
    """The origin of another service on `portal_url`'s site: the same scheme and host, another port."""
    shown = urlsplit(portal_url)
    host = f"[{shown.hostname}]" if ":" in (shown.hostname or "") else shown.hostname
    port = next(p for p in OTHER_PORTS if p != shown.port)
    return f"{shown.scheme}://{host}:{port}"


def another_site(portal_url: str) -> str:
    """The origin of a page of another site than `portal_url`'s (another registrable domain), on the same scheme."""
    return f"{urlsplit(portal_url).scheme}://{OTHER_SITE_HOST}"


def _guess(length: int) -> str:
    """What a page that cannot read the citizen's form puts in a hidden field: random characters, as many."""
    return "".join(secrets.choice(GUESS_ALPHABET) for _ in range(length))


def sends_code_request(
    verify: VerifyContactPage, mobile: str, *, guessed: bool, elsewhere: Callable[[str], str] = another_service
) -> Answer:
    """In a new tab of the citizen's browser, a page at `elsewhere(portal)` (another service of the portal's site, by
    default) that posts step 4's 「寄送驗證碼簡訊」 form (the portal's own action and field names) with `mobile` as
    soon as it loads, and, if `guessed`, every hidden field of that form with a guessed value of the real one's
    length; the portal's answer, the tab closed."""
    form = verify.page.locator("form").filter(has=verify.send)
    action = str(form.evaluate("form => form.action"))
    channel = verify.channels[Channel.MOBILE].evaluate("input => [input.name, input.value]")
    number = str(verify.addresses[Channel.MOBILE].evaluate("input => input.name"))
    hidden = form.locator("input[type=hidden]").evaluate_all("inputs => inputs.map(i => [i.name, i.value.length])")
    fields = {str(name): _guess(int(length)) for name, length in hidden} if guessed else {}
    fields |= {str(channel[0]): str(channel[1]), number: mobile}
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
    html = (
        '<!doctype html><html lang="zh-Hant"><meta charset="utf-8"><title>今日消息</title>'
        f'<body onload="document.forms[0].submit()"><h1>今日消息</h1>'
        f'<form method="post" action="{escape(action)}">{inputs}</form></body></html>'
    )
    origin = elsewhere(verify.page.url)
    address = origin + PAGE_PATH

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    context = verify.page.context
    context.route(address, serve)
    tab = context.new_page()
    try:
        with tab.expect_response(lambda r: r.request.method == "POST" and r.url == action) as posted:
            tab.goto(address)
        tab.wait_for_url(lambda url: not url.startswith(origin))  # the portal's answer, loaded
        alerts = tuple(text.strip() for text in tab.get_by_role("alert").all_inner_texts())
        with_cookies = "cookie" in posted.value.request.all_headers()
        return Answer(posted.value.status, tab.url, alerts, with_cookies)
    finally:
        tab.close()
        context.unroute(address, serve)
        verify.page.bring_to_front()
