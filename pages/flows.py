"""Multi-screen rollups, so a scenario about step N can start there in one line: in the browser screen by screen, or
(ByHttp) through the portal's public forms over HTTP, the session then handed to the browser. Either way every
screen is reached from the portal's home by the guide's links and buttons, never by an address of the suite's own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar
from urllib.parse import urlparse

from playwright.sync_api import Page

from domain.citizen import Channel, CitizenProfile
from domain.links import Links
from pages import attacker
from pages.apply import HomePage, MemberRegistrationPage
from pages.attacker import Reply, Tab
from pages.base import Screen, history
from pages.gold import GoldVerificationPage, LoginPage, VerifiedPage
from pages.register import (
    BasicDataPage,
    MemberHomePage,
    RegistrationDonePage,
    SetPasswordPage,
    VerifyContactPage,
)

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam  # what BrowserContext.add_cookies takes

CodeSource = Callable[[Channel, str], str]  # (channel, address) → the newest code received there
S = TypeVar("S", bound=Screen)
SAME_SITE: dict[str, Literal["Strict", "Lax", "None"]] = {"Strict": "Strict", "Lax": "Lax", "None": "None"}


def log_in_page(page: Page, links: Links) -> LoginPage:
    """The login form, reached from the home page by its link (worded as the portal profile says)."""
    return HomePage(page).open().follow(links.login, LoginPage)


def member_home_page(page: Page, links: Links) -> MemberHomePage:
    """The member's own page, reached from the home page by its link, as a logged-in citizen comes back to it."""
    return HomePage(page).open().follow(links.member_home, MemberHomePage)


def choose_membership(page: Page, label: str) -> MemberRegistrationPage:
    """Steps 1–2 from the home page: [申請臺北卡], then the tier button `label`."""
    return HomePage(page).open().start_application().choose(label)


def consent(page: Page) -> VerifyContactPage:
    """Steps 1–3 for a gold membership: up to the contact-verification page."""
    return choose_membership(page, "金質會員註冊").agree_and_continue()


def receive_code(page: Page, citizen: CitizenProfile, channel: Channel) -> VerifyContactPage:
    """Steps 1–5: the code is on its way to the citizen's phone or mailbox."""
    verify = consent(page)
    verify.send_code(channel, channel.of(citizen))
    return verify.expect_code_sent()


def verify_contact(page: Page, citizen: CitizenProfile, channel: Channel, codes: CodeSource) -> BasicDataPage:
    """Steps 1–6: the citizen's phone or e-mail is verified; the basic-data form is open."""
    return verify_as_typed(consent(page), citizen, channel, channel.of(citizen), codes)


def verify_as_typed(
    verify: VerifyContactPage, citizen: CitizenProfile, channel: Channel, typed: str, codes: CodeSource
) -> BasicDataPage:
    """Steps 4–6 on the contact page shown, the citizen's address typed as `typed` (hers, written otherwise: an
    e-mail address in another case), the code read where it reaches her; the basic-data form is open."""
    verify.send_code(channel, typed)
    verify.expect_code_sent()
    verify.enter_code(codes(channel, channel.of(citizen)))
    verify.tick_captcha()
    verify.press("下一步")
    return BasicDataPage(verify.page).expect_shown()


def fill_basic_data(
    page: Page, citizen: CitizenProfile, codes: CodeSource, channel: Channel = Channel.MOBILE
) -> SetPasswordPage:
    """Steps 1–7 (by phone unless `channel` says otherwise): basic data saved; the password page is open."""
    return verify_contact(page, citizen, channel, codes).fill_and_continue(citizen)


def register(
    page: Page, citizen: CitizenProfile, codes: CodeSource, channel: Channel = Channel.MOBILE
) -> RegistrationDonePage:
    """Steps 1–8: the citizen is a registered member, asked whether to go on to gold verification."""
    password = fill_basic_data(page, citizen, codes, channel)
    password.set_password(citizen.password)
    password.press("註冊")
    return RegistrationDonePage(page).expect_shown()


def go_gold(page: Page, citizen: CitizenProfile, codes: CodeSource) -> GoldVerificationPage:
    """Steps 1–10: a registered member who answered [是]; 金質會員認證 is open."""
    register(page, citizen, codes).press("是")
    return GoldVerificationPage(page).expect_shown()


def member_home(page: Page, citizen: CitizenProfile, codes: CodeSource) -> MemberHomePage:
    """Steps 1–9: a registered member who answered [否]; 會員專區 is open."""
    register(page, citizen, codes).press("否")
    return MemberHomePage(page).expect_shown()


def verify_real_name(gold: GoldVerificationPage, citizen: CitizenProfile) -> VerifiedPage:
    """Steps 20–23 once the agent runs and the citizen's card is in the reader: 實名認證成功."""
    gold.go_to_step_two().verify(citizen.id_number, citizen.pin)
    return VerifiedPage(gold.page).expect_shown()


class Arrival(Protocol):
    """Where a scenario that starts mid-journey gets to, in the citizen's browser, however it gets there."""

    def consent(self) -> VerifyContactPage: ...
    def verify_contact(self, citizen: CitizenProfile, channel: Channel, codes: CodeSource) -> BasicDataPage: ...
    def register(
        self, citizen: CitizenProfile, codes: CodeSource, channel: Channel = Channel.MOBILE
    ) -> RegistrationDonePage: ...
    def go_gold(self, citizen: CitizenProfile, codes: CodeSource) -> GoldVerificationPage: ...
    def member_home(self, citizen: CitizenProfile, codes: CodeSource) -> MemberHomePage: ...


class InBrowser:
    """Every screen on the way, in the browser (the rollups above)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def consent(self) -> VerifyContactPage:
        return consent(self.page)

    def verify_contact(self, citizen: CitizenProfile, channel: Channel, codes: CodeSource) -> BasicDataPage:
        return verify_contact(self.page, citizen, channel, codes)

    def register(
        self, citizen: CitizenProfile, codes: CodeSource, channel: Channel = Channel.MOBILE
    ) -> RegistrationDonePage:
        return register(self.page, citizen, codes, channel)

    def go_gold(self, citizen: CitizenProfile, codes: CodeSource) -> GoldVerificationPage:
        return go_gold(self.page, citizen, codes)

    def member_home(self, citizen: CitizenProfile, codes: CodeSource) -> MemberHomePage:
        return member_home(self.page, citizen, codes)


class ByHttp:
    """The same rollups through the portal's public forms, as a script walks them (pages.attacker: forms found by
    their documented labels, CSRF tokens read off the pages), from a session whose cookies are then handed to the
    citizen's browser, which opens the page where the walk ended (as Playwright's authentication guide reuses a
    signed-in state). Only the home page's address and the public forms: it works against any portal built to the
    guide, the embedded twin or a deployment, whatever its routes.

    `headers` go on every request, as the browser's do (its User-Agent, the scenario's session header); `home` is the
    portal's home page (default: `portal_url` itself)."""

    def __init__(
        self,
        page: Page,
        portal_url: str,
        headers: Mapping[str, str] | None = None,
        home: str | None = None,
        *,
        solver: attacker.CaptchaSolver | None = None,
    ) -> None:
        self.page, self.portal_url, self.headers = page, portal_url.rstrip("/"), dict(headers or {})
        self.home, self.solver = home, solver  # solver: how the walk ticks 「我不是機器人」 (simulators.captcha.tick)

    def consent(self) -> VerifyContactPage:
        return self._arrive(VerifyContactPage, self._applied)

    def verify_contact(self, citizen: CitizenProfile, channel: Channel, codes: CodeSource) -> BasicDataPage:
        return self._arrive(BasicDataPage, lambda tab: self._verified(tab, citizen, channel, codes))

    def register(
        self, citizen: CitizenProfile, codes: CodeSource, channel: Channel = Channel.MOBILE
    ) -> RegistrationDonePage:
        return self._arrive(RegistrationDonePage, lambda tab: self._registered(tab, citizen, channel, codes))

    def go_gold(self, citizen: CitizenProfile, codes: CodeSource) -> GoldVerificationPage:
        def answered(tab: Tab) -> None:
            self._registered(tab, citizen, Channel.MOBILE, codes)
            _expect(tab.submit("是"), GoldVerificationPage)

        return self._arrive(GoldVerificationPage, answered)

    def member_home(self, citizen: CitizenProfile, codes: CodeSource) -> MemberHomePage:
        def answered(tab: Tab) -> None:
            self._registered(tab, citizen, Channel.MOBILE, codes)
            _expect(tab.submit("否"), MemberHomePage)

        return self._arrive(MemberHomePage, answered)

    def _applied(self, tab: Tab) -> None:
        """Steps 1–3."""
        attacker.apply(tab)
        assert tab.last is not None
        _expect(tab.last, VerifyContactPage)

    def _verified(self, tab: Tab, citizen: CitizenProfile, channel: Channel, codes: CodeSource) -> None:
        """Steps 1–6, the 「我不是機器人」 box ticked on the portal's own site."""
        self._applied(tab)
        address = channel.of(citizen)
        attacker.request_code(tab, channel, address)
        token = attacker.captcha_token(tab, urlparse(self.portal_url).hostname or "")
        _expect(attacker.enter_code(tab, codes(channel, address), token), BasicDataPage)

    def _registered(self, tab: Tab, citizen: CitizenProfile, channel: Channel, codes: CodeSource) -> None:
        """Steps 1–8."""
        self._verified(tab, citizen, channel, codes)
        typed = {"姓名": citizen.name, "身分證字號": citizen.id_number, "出生日期": citizen.birth_date.isoformat()}
        typed |= {citizen.sex.value: "", "地址": citizen.address}
        _expect(tab.submit("下一步", typed), SetPasswordPage)
        _expect(tab.submit("註冊", {"密碼": citizen.password, "確認密碼": citizen.password}), RegistrationDonePage)

    def _arrive(self, screen: type[S], walk: Callable[[Tab], None]) -> S:
        """Walk the forms in a fresh session, hand its cookies to the browser, and open the page where the walk
        ended there (the last reply's address: after a form, where the portal redirected), which must be `screen`."""
        tab = Tab(self.portal_url, None, home=self.home, solver=self.solver)
        tab.http.headers.update(self.headers)
        try:
            walk(tab)
            assert tab.last is not None
            ended = tab.last.url
            self.page.context.add_cookies(browser_cookies(tab.http.cookies, self.portal_url))
            history(self.page).update(tab.seen)  # the session's pages, as if this browser had walked them
        finally:
            tab.close()
        self.page.goto(ended)
        return screen(self.page).expect_shown()


def _expect(reply: Reply, screen: type[Screen]) -> Reply:
    """`reply`, which must be `screen`; else an error saying what the portal showed instead."""
    if reply.title != screen.TITLE:
        raise AssertionError(
            f"expected the 「{screen.TITLE}」 screen at {reply.url}, the portal showed 「{reply.title}」 "
            f"(HTTP {reply.status}): {list(reply.notices)}"
        )
    return reply


def browser_cookies(jar: CookieJar, portal_url: str) -> list[SetCookieParam]:
    """The portal's cookies of a requests session as Playwright sets them: name, value, where, and how they are sent
    (HttpOnly, Secure, SameSite and expiry kept, so the browser holds what it would have been given itself)."""
    host = urlparse(portal_url).hostname or ""
    handed: list[SetCookieParam] = []
    for cookie in jar:
        # http.cookiejar files a host without a dot (localhost) under host + ".local" (RFC 2965 §1)
        given = host if "." not in host and cookie.domain == host + ".local" else cookie.domain
        domain = given.lstrip(".")
        if host != domain and not host.endswith("." + domain):
            continue  # not the portal's (a cookie of another site the walk visited)
        # Attribute names as the portal wrote them (Starlette: `httponly; samesite=lax`); RFC 6265 §5.2 reads them
        # in any case, http.cookiejar keeps them as written, and Chromium treats a cookie without SameSite otherwise.
        extra = {str(key).lower(): value for key, value in vars(cookie).get("_rest", {}).items()}
        entry: SetCookieParam = {
            "name": cookie.name,
            "value": cookie.value or "",
            "domain": given,
            "path": cookie.path or "/",
            "secure": cookie.secure,
            "httpOnly": "httponly" in extra,
        }
        same_site = str(extra.get("samesite") or "").capitalize()
        if same_site in SAME_SITE:
            entry["sameSite"] = SAME_SITE[same_site]
        if cookie.expires is not None:
            entry["expires"] = float(cookie.expires)
        handed.append(entry)
    return handed
