"""攻擊者: a script against the portal's public pages, with plain HTTP and no browser, as a bot or a thief would.

It reads each page as a browser without JavaScript does: the forms (their CSRF tokens included) are found by the
documented label of their button and filled by their fields' labels, so it works on any portal whose pages carry
the documented labels, like the page objects. The only addresses it opens directly are the portal's home, a screen's
where it was shown that screen before (a person remembers an address bar), and the 「我不是機器人」 widget's, read off
the page it is embedded in.

The walk through the application's forms (`apply`, `request_code`, `captcha_token`, `enter_code`) is the attacker's
and also the citizen's way to a screen mid-journey without the browser (pages.flows.ByHttp).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from typing import Any, Self, TypeVar
from urllib.parse import urljoin, urlparse

import requests
from playwright.sync_api import Page
from requests.adapters import HTTPAdapter

from domain.citizen import Channel, CitizenProfile
from domain.idnumber import with_check_digit
from pages.apply import HomePage
from pages.base import Screen, history
from pages.gold import CardVerificationPage, GoldVerificationPage, LoginPage
from pages.register import BasicDataPage, MemberHomePage, RegistrationDonePage, SetPasswordPage, VerifyContactPage

T = TypeVar("T")
CodeSource = Callable[[Channel, str], str]  # (channel, address) → the newest code received there
# How a script ticks the 「我不是機器人」 box of a page: (the page's session, the widget script's URL, the site key, the
# hostname it is solved on) → the token. The captcha simulator's client has it (simulators.captcha.tick): its URLs
# are that client's business, not a page object's.
CaptchaSolver = Callable[[requests.Session, str, str, str], str]
CHANNEL_CHOICE = {Channel.MOBILE: "以手機號碼驗證", Channel.EMAIL: "以電子郵件驗證"}
ADDRESS_FIELD = {Channel.MOBILE: "手機號碼", Channel.EMAIL: "電子郵件"}
APPLICATION_SCREENS = (VerifyContactPage, BasicDataPage, SetPasswordPage, RegistrationDonePage, MemberHomePage)
# Ways to smuggle something past an e-mail field (another recipient, a header), by the name the Gherkin gives them;
# each builds the typed text from the victim's address and the attacker's.
MALFORMED_ADDRESSES: dict[str, Callable[[str, str], str]] = {
    "角括號": lambda victim, attacker: f"<{victim}>",
    "雙引號": lambda victim, attacker: '"{}"@{}'.format(*victim.split("@")),
    "逗號": lambda victim, attacker: f"{victim.split('@')[0]},{attacker}",
    "換行": lambda victim, attacker: f"{victim}\r\nBcc: {attacker}",
    "填充字元使 @ 前有 65 字": lambda victim, attacker: padded(victim, local=65),  # RFC 5321 §4.5.3.1.1: 64
    "填充字元使全長 255 字": lambda victim, attacker: padded(victim, local=64, total=255),  # the path's 256 less <>
}
# Ways to write a mobile number other than the 10 digits the portal takes, by the name the Gherkin gives them. An SMS
# gateway reads most of them as the same phone (Mitake drops "+", "-" and spaces), so a portal that took them would
# count each writing apart, and its cooldown and hourly cap per number would not hold.
MALFORMED_MOBILES: dict[str, Callable[[str, str], str]] = {
    "加上連字號": lambda victim, attacker: f"{victim[:4]}-{victim[4:7]}-{victim[7:]}",
    "改寫成 +886 開頭": lambda victim, attacker: f"+886{victim[1:]}",
    "以逗號接上攻擊者的號碼": lambda victim, attacker: f"{victim},{attacker}",
}


def padded(address: str, *, local: int, total: int = 0) -> str:
    """`address` lengthened with x's: its local part to `local` characters, then (when `total`) labels of x's before
    its domain until the whole is `total` characters long; still a well-formed address but for its length."""
    name, domain = address.split("@")
    name += "x" * (local - len(name))
    room, labels = max(0, total - len(name) - 1 - len(domain)), []
    if room == 1:
        raise ValueError(f"no label fits in one character with its dot: ask for {total - 1} or {total + 1}")
    while room > 0:  # each label brings its dot; none longer than 63 (RFC 1035 §2.3.4), none empty
        size = min(63, room - 1)
        size -= room - size - 1 == 1  # one character left over would make an empty label: take it now
        labels.append("x" * size)
        room -= size + 1
    return "@".join((name, ".".join([*labels, domain])))


@dataclass(frozen=True, slots=True)
class Field:
    """An input of a form, with the text of the label it sits in."""

    name: str
    kind: str  # the input's type: text, hidden, radio, checkbox, password …
    value: str
    label: str
    checked: bool


@dataclass(frozen=True, slots=True)
class Button:
    """A submit button of a form, by its visible label."""

    label: str
    name: str
    value: str
    action: str  # formaction, or "" for the form's own


@dataclass(frozen=True, slots=True)
class Form:
    """One form as the page serves it."""

    action: str
    fields: tuple[Field, ...]
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True)
class Reply:
    """A page as the attacker got it: status, level-1 heading, notices (alerts and status lines), text and forms."""

    status: int
    url: str
    title: str
    notices: tuple[str, ...]
    text: str
    forms: tuple[Form, ...]
    links: dict[str, str]  # visible text → href
    captcha: tuple[str, str] | None  # (site key, widget script URL) when the page embeds 「我不是機器人」
    elapsed: float = 0.0  # seconds from sending the request to the whole reply

    def says(self, text: str) -> bool:
        """Whether a notice on the page contains `text`."""
        return any(text in notice for notice in self.notices)

    def shown(self, text: str) -> bool:
        """Whether `text` appears anywhere on the page (fields' values included)."""
        return text in self.text or any(text in f.value for form in self.forms for f in form.fields)

    def masked(self, address: str) -> tuple[int, str, tuple[str, ...], str]:
        """What an onlooker compares: status, title, notices and text, with `address` and every number masked."""

        def mask(text: str) -> str:
            return re.sub(r"\d+", "#", text.replace(address, "<address>"))

        return self.status, self.title, tuple(mask(n) for n in self.notices), mask(self.text)

    def form(self, button: str) -> tuple[Form, Button]:
        """The form with a button labelled `button`, and that button; LookupError lists the buttons there are."""
        for form in self.forms:
            for candidate in form.buttons:
                if candidate.label == button:
                    return form, candidate
        labels = [b.label for f in self.forms for b in f.buttons]
        raise LookupError(f"no button 「{button}」 on 「{self.title}」 ({self.url}); buttons: {labels}")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Reader(HTMLParser):
    """Collects what a Reply holds from one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.notices: list[str] = []
        self.text: list[str] = []
        self.links: dict[str, str] = {}
        self.forms: list[Form] = []
        self.captcha_key = self.captcha_script = ""
        self._open: list[tuple[str, dict[str, str]]] = []  # elements not closed yet, with their attributes
        self._texts: dict[int, list[str]] = {}  # depth of an element whose text is wanted → its text so far
        self._form: dict[str, Any] | None = None
        self._label_fields: list[dict[str, Any]] = []  # inputs inside the <label> being read
        self._in_main = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "data-sitekey" in found:
            self.captcha_key = found["data-sitekey"]
        if tag == "script" and "recaptcha" in found.get("src", ""):
            self.captcha_script = found["src"]
        if tag == "form":
            self._form = {"action": found.get("action", ""), "fields": [], "buttons": []}
        if tag == "input" and self._form is not None:
            kind, checked = found.get("type", "text"), "checked" in found
            entry = {"name": found.get("name", ""), "kind": kind, "value": found.get("value", ""), "checked": checked}
            entry["label"] = ""
            self._form["fields"].append(entry)
            if any(t == "label" for t, _ in self._open):
                self._label_fields.append(entry)
        if tag in VOID:
            return
        self._open.append((tag, found))
        depth = len(self._open)
        if tag in {"h1", "button", "label", "a"} or found.get("role") in {"alert", "status"}:
            self._texts[depth] = []
        if tag == "main":
            self._in_main = True

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not any(t == tag for t, _ in self._open):
            return
        while self._open:
            depth = len(self._open)
            open_tag, attrs = self._open.pop()
            text = " ".join("".join(self._texts.pop(depth, [])).split())
            self._closed(open_tag, attrs, text)
            if open_tag == tag:
                break

    def _closed(self, tag: str, attrs: dict[str, str], text: str) -> None:
        if tag == "h1" and not self.title:
            self.title = text
        if attrs.get("role") in {"alert", "status"} and text:
            self.notices.append(text)
        if tag == "a" and "href" in attrs:
            self.links[text] = attrs["href"]
        if tag == "label":
            for entry in self._label_fields:
                entry["label"] = text
            self._label_fields = []
        if tag == "button" and self._form is not None and attrs.get("type", "submit") == "submit":
            button = Button(text, attrs.get("name", ""), attrs.get("value", ""), attrs.get("formaction", ""))
            self._form["buttons"].append(button)
        if tag == "form" and self._form is not None:
            fields = tuple(Field(**entry) for entry in self._form["fields"])
            self.forms.append(Form(self._form["action"], fields, tuple(self._form["buttons"])))
            self._form = None
        if tag == "main":
            self._in_main = False

    def handle_data(self, data: str) -> None:
        for collected in self._texts.values():
            collected.append(data)
        if self._in_main:
            self.text.append(data)


def read(response: requests.Response, elapsed: float = 0.0) -> Reply:
    """The Reply of an HTTP response (its HTML parsed; anything else gives an empty page)."""
    reader = _Reader()
    if "html" in response.headers.get("content-type", ""):
        reader.feed(response.text)
        reader.close()
    captcha = (reader.captcha_key, urljoin(response.url, reader.captcha_script)) if reader.captcha_key else None
    text = " ".join("".join(reader.text).split())
    forms, notices = tuple(reader.forms), tuple(reader.notices)
    return Reply(response.status_code, response.url, reader.title, notices, text, forms, reader.links, captcha, elapsed)


class _FromAddress(HTTPAdapter):
    """Connect from a chosen local address: another loopback address is, to the portal, another machine."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Tab:
    """One cookie jar against the portal: what a browser tab is to a citizen, without JavaScript."""

    def __init__(
        self,
        portal_url: str,
        source: str | None,
        cookies: Iterable[tuple[str, str]] = (),
        *,
        home: str | None = None,
        seen: dict[str, str] | None = None,
        solver: CaptchaSolver | None = None,
    ) -> None:
        self.portal_url, self.source = portal_url.rstrip("/"), source
        self.solver = solver  # how this tab ticks a 「我不是機器人」 box; None: it cannot
        self.home = home or self.portal_url + "/"  # the portal's home page (the portal profile's `home`)
        self.seen = {} if seen is None else seen  # title → the address it was shown at (shared when given)
        self.http = requests.Session()
        if source is not None:
            adapter = _FromAddress(source)
            self.http.mount("http://", adapter)
            self.http.mount("https://", adapter)
        for name, value in cookies:
            self.http.cookies.set(name, value)
        self.last: Reply | None = None

    def close(self) -> None:
        self.http.close()

    def copy(self) -> Tab:
        """Another tab holding the same cookies and showing the same page (for requests sent at the same time)."""
        cookies = ((c.name, c.value or "") for c in self.http.cookies)
        twin = Tab(self.portal_url, self.source, cookies, home=self.home, seen=self.seen, solver=self.solver)
        twin.last = self.last
        return twin

    def _keep(self, response: requests.Response, started: float) -> Reply:
        self.last = read(response, time.perf_counter() - started)
        if self.last.title and self.last.status == 200 and response.request.method == "GET":
            self.seen[self.last.title] = self.last.url
        return self.last

    def open(self, screen: type[Screen] | str) -> Reply:
        """GET the home page, a screen at the address it was shown at before, or a path; redirects followed as a
        browser does. LookupError for a screen never shown: its address is the portal's own business."""
        if isinstance(screen, str):
            url = urljoin(self.portal_url + "/", screen.lstrip("/"))
        elif screen is HomePage:
            url = self.home
        elif screen.TITLE in self.seen:
            url = self.seen[screen.TITLE]
        else:
            raise LookupError(f"「{screen.TITLE}」 was never shown here: reach it from the home page first")
        started = time.perf_counter()
        return self._keep(self.http.get(url, timeout=30), started)

    def follow(self, link: str) -> Reply:
        """Follow the link (or link-styled button) labelled `link` on the page shown."""
        assert self.last is not None, "no page is shown yet"
        started = time.perf_counter()
        return self._keep(self.http.get(urljoin(self.last.url, self.last.links[link]), timeout=30), started)

    def forge(self, button: str) -> Reply:
        """What a page on another site makes this tab's browser send for `button`: a POST to the form's action that
        carries the cookies but none of the fields the portal's own page put in the form (its CSRF token)."""
        assert self.last is not None, "no page is shown yet"
        form, pressed = self.last.form(button)
        target = urljoin(self.last.url, pressed.action or form.action or self.last.url)
        started = time.perf_counter()
        return self._keep(self.http.post(target, data={}, timeout=30), started)

    def submit(self, button: str, labelled: dict[str, str] | None = None, **named: str) -> Reply:
        """Press `button` on the page shown: its form as served (hidden fields, ticked boxes), the fields labelled
        as in `labelled` filled in (a radio or checkbox label: ticked), plus `named` fields a script would add."""
        assert self.last is not None, "no page is shown yet"
        form, pressed = self.last.form(button)
        data: dict[str, str] = {
            f.name: f.value for f in form.fields if f.kind not in {"radio", "checkbox"} or f.checked
        }
        for label, value in (labelled or {}).items():
            matches = [f for f in form.fields if f.label == label]
            if not matches:
                raise LookupError(f"no field labelled 「{label}」 in the form of 「{button}」: {form.fields}")
            data[matches[0].name] = matches[0].value if matches[0].kind in {"radio", "checkbox"} else value
        if pressed.name:
            data[pressed.name] = pressed.value
        data.update(named)
        target = urljoin(self.last.url, pressed.action or form.action or self.last.url)
        started = time.perf_counter()
        return self._keep(self.http.post(target, data=data, timeout=30), started)

    def send_with_my_fields(
        self, other: Tab, button: str, labelled: dict[str, str] | None = None, **named: str
    ) -> Reply:
        """Press `button` on the page `other` shows (another session's), from this session: its form as served
        there, the fields labelled as in `labelled` filled in, but with the hidden fields of this tab's own page (its
        CSRF token), so the portal reads it as this session's; plus `named` fields a script would add."""
        assert self.last is not None, "no page is shown yet"
        assert other.last is not None, "no page is shown in the other session yet"
        form, pressed = other.last.form(button)
        data = {f.name: f.value for f in form.fields if f.kind not in {"radio", "checkbox"} or f.checked}
        for label, value in (labelled or {}).items():
            match = next(f for f in form.fields if f.label == label)
            data[match.name] = match.value if match.kind in {"radio", "checkbox"} else value
        mine = [f for forms in self.last.forms for f in forms.fields if f.kind == "hidden"]
        data.update({f.name: f.value for f in mine})
        data.update(named)
        target = urljoin(other.last.url, pressed.action or form.action or other.last.url)
        started = time.perf_counter()
        return self._keep(self.http.post(target, data=data, timeout=30), started)

    def choose_as(self, button: str, choice: str, value: str, labelled: dict[str, str] | None = None) -> Reply:
        """Press `button` on the page shown with the choice labelled `choice` sent as `value` (a choice the page does
        not offer), the fields labelled as in `labelled` filled in."""
        assert self.last is not None, "no page is shown yet"
        form, _ = self.last.form(button)
        field = next(f for f in form.fields if f.label == choice)
        return self.submit(button, {choice: "", **(labelled or {})}, **{field.name: value})

    def press_as(self, button: str, value: str) -> Reply:
        """Press `button` on the page shown, but sending `value` as its value: a choice the page does not offer."""
        assert self.last is not None, "no page is shown yet"
        _, pressed = self.last.form(button)
        return self.submit(button, None, **{pressed.name: value})


# registration (documented steps 1–6), as a script walks it
def apply(tab: Tab) -> Tab:
    """Steps 1–3 in `tab`: 申請臺北卡, 金質會員註冊, the consent ticked; the contact page is shown."""
    tab.open(HomePage)
    tab.follow("申請臺北卡")
    tab.submit("金質會員註冊")
    tab.submit("下一步", {"我已詳閱並同意上述個人資料使用相關內容": "yes"})
    return tab


def request_code(tab: Tab, channel: Channel, address: str) -> Reply:
    """Step 4: the contact page's 「寄送驗證碼簡訊」 with `address` typed for `channel`."""
    if tab.last is None or tab.last.title != VerifyContactPage.TITLE or not _has(tab.last, "寄送驗證碼簡訊"):
        tab.open(VerifyContactPage)
    return tab.submit("寄送驗證碼簡訊", {CHANNEL_CHOICE[channel]: "", ADDRESS_FIELD[channel]: address})


def captcha_token(tab: Tab, hostname: str) -> str:
    """A 「我不是機器人」 token for the widget on the page shown, solved as if on `hostname` (the portal's own, or
    another site's, which is what a captcha farm sells)."""
    shown = tab.last.captcha if tab.last is not None else None
    if shown is None:
        raise LookupError("the page shown has no 「我不是機器人」 box")
    if tab.solver is None:
        raise LookupError("this tab was given no way to tick 「我不是機器人」 (solver=simulators.captcha.tick)")
    sitekey, script = shown
    return tab.solver(tab.http, script, sitekey, hostname)


def enter_code(tab: Tab, code: str, token: str) -> Reply:
    """Step 6: the code and a 「我不是機器人」 token, then 「下一步」."""
    return tab.submit("下一步", {"驗證碼": code}, **{"g-recaptcha-response": token})


def basic_data(tab: Tab, person: CitizenProfile, *, sex_chosen: bool = True) -> Reply:
    """Step 7: `person`'s basic data typed (their sex ticked, unless not `sex_chosen`), then 「下一步」."""
    typed = {"姓名": person.name, "身分證字號": person.id_number, "出生日期": person.birth_date.isoformat()}
    typed |= {person.sex.value: ""} if sex_chosen else {}
    return tab.submit("下一步", typed | {"地址": person.address})


def verify_mobile(tab: Tab, person: CitizenProfile, codes: CodeSource, hostname: str) -> Reply:
    """Steps 1–6 in `tab` with `person`'s own phone, the box ticked on `hostname`: the basic-data form is shown."""
    apply(tab)
    request_code(tab, Channel.MOBILE, person.mobile)
    reply = enter_code(tab, codes(Channel.MOBILE, person.mobile), captcha_token(tab, hostname))
    if reply.title != BasicDataPage.TITLE:
        raise AssertionError(f"{person.mobile} did not verify: 「{reply.title}」 {list(reply.notices)}")
    return reply


def become_member(tab: Tab, person: CitizenProfile, codes: CodeSource, hostname: str) -> Reply:
    """Steps 1–9 in `tab` for `person`: their own phone verified, their basic data, a password, then 「否」 (not now
    to gold): the member's own page, the session logged in."""
    verify_mobile(tab, person, codes, hostname)
    basic_data(tab, person)
    reply = tab.submit("註冊", {"密碼": person.password, "確認密碼": person.password})
    reply = tab.submit("否")
    if reply.title != MemberHomePage.TITLE:
        raise AssertionError(f"{person.name} did not become a member: 「{reply.title}」 {list(reply.notices)}")
    return reply


def _loopback(portal_url: str) -> bool:
    try:
        return ipaddress.ip_address(urlparse(portal_url).hostname or "").is_loopback
    except ValueError:
        return False


def _together(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run `jobs` at the same time; their results in order."""
    with ThreadPoolExecutor(max(1, len(jobs))) as pool:
        return list(pool.map(lambda job: job(), jobs))


@dataclass
class Attacker:
    """攻擊者: a person of their own (their own phone and mailbox) scripting HTTP requests from their own address."""

    portal_url: str
    identity: CitizenProfile
    rng: random.Random
    source: str | None = None  # the local address requests leave from; None: the machine's default
    tabs: list[Tab] = field(default_factory=list)
    home: str | None = None  # the portal's home page; None: the portal's URL itself
    login_link: str = "登入"  # the home page's link to the login form, as the portal words it
    seen: dict[str, str] = field(default_factory=dict)  # title → where the attacker was shown it, in any session
    solver: CaptchaSolver | None = None  # how the attacker's script ticks 「我不是機器人」

    @classmethod
    def at(
        cls,
        portal_url: str,
        identity: CitizenProfile,
        home: str | None = None,
        login_link: str = "登入",
        *,
        solver: CaptchaSolver | None = None,
    ) -> Self:
        """An attacker against `portal_url` (its home page `home`, its link to the login form `login_link`); against
        a portal on loopback, from a loopback address of their own (127.x.y.z), so to the portal they are another
        client than the citizen's browser."""
        rng = random.Random(identity.seed)
        source = None
        if _loopback(portal_url):
            source = f"127.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}.{rng.randrange(2, 255)}"
        return cls(portal_url, identity, rng, source, home=home, login_link=login_link, solver=solver)

    @property
    def has_own_address(self) -> bool:
        """Whether the portal tells this attacker apart from the citizen's browser by address."""
        return self.source is not None

    def close(self) -> None:
        for tab in self.tabs:
            tab.close()

    def tab(self, cookies: Iterable[tuple[str, str]] = ()) -> Tab:
        """A fresh session of the attacker's (optionally holding `cookies`)."""
        opened = Tab(self.portal_url, self.source, cookies, home=self.home, seen=self.seen, solver=self.solver)
        self.tabs.append(opened)
        return opened

    # registration (documented steps 1–8), as a script walks it
    def choose_tier(self, tier: str) -> Reply:
        """Step 2 in a new session, the 「金質會員註冊」 button pressed with `tier` as its value."""
        tab = self.tab()
        tab.open(HomePage)
        tab.follow("申請臺北卡")
        return tab.press_as("金質會員註冊", tier)

    def consent_without_tier(self) -> Reply:
        """Step 3's consent sent from a new session that never chose a tier: the 「會員註冊」 form the attacker saw in
        another session of theirs, with the new session's own form fields (its CSRF token, from 選擇會員類型)."""
        seen = self.tab()
        seen.open(HomePage)
        seen.follow("申請臺北卡")
        seen.submit("金質會員註冊")
        fresh = self.tab()
        fresh.open(HomePage)
        fresh.follow("申請臺北卡")
        return fresh.send_with_my_fields(seen, "下一步", {"我已詳閱並同意上述個人資料使用相關內容": "yes"})

    def apply(self) -> Tab:
        """Steps 1–3 in a new session: 申請臺北卡, 金質會員註冊, the consent ticked; the contact page is shown."""
        return apply(self.tab())

    def request_code(self, tab: Tab, channel: Channel, address: str) -> Reply:
        """Step 4: the contact page's 「寄送驗證碼簡訊」 with `address` typed for `channel`."""
        return request_code(tab, channel, address)

    def request_code_by(self, tab: Tab, channel: str, address: str) -> Reply:
        """Step 4's 「寄送驗證碼簡訊」 with `address` typed for the phone, but `channel` sent as the way to receive
        the code: neither of the two the page offers."""
        if tab.last is None or tab.last.title != VerifyContactPage.TITLE or not _has(tab.last, "寄送驗證碼簡訊"):
            tab.open(VerifyContactPage)
        typed = {ADDRESS_FIELD[Channel.MOBILE]: address}
        return tab.choose_as("寄送驗證碼簡訊", CHANNEL_CHOICE[Channel.MOBILE], channel, typed)

    def request_codes_in_turn(self, mobiles: Sequence[str]) -> list[Reply]:
        """One application asking for a code to each of `mobiles` in turn (SMS pumping): the first by the form, each
        next one by the 「重新寄送驗證碼」 form with the number it carries changed, as a script changes a hidden field
        (the page's countdown holds back a person, not a script)."""
        tab = self.apply()
        replies = [self.request_code(tab, Channel.MOBILE, mobiles[0])]
        for mobile in mobiles[1:]:
            form, _ = replies[-1].form("重新寄送驗證碼")
            changed = {f.name: mobile for f in form.fields if f.kind == "hidden" and f.value in mobiles}
            replies.append(tab.submit("重新寄送驗證碼", None, **changed))
        return replies

    def enter_code_unasked(self, codes: CodeSource) -> Reply:
        """Step 6's 「下一步」 sent from an application that never asked for a code: the form the attacker saw in
        another application of theirs, where a code did go to their phone, with that code and a 「我不是機器人」
        token, but with the new session's own fields (its CSRF token)."""
        asked = self.apply()
        self.request_code(asked, Channel.MOBILE, self.identity.mobile)
        token = self.captcha_token(asked)
        unasked = self.apply()
        code = codes(Channel.MOBILE, self.identity.mobile)
        return unasked.send_with_my_fields(asked, "下一步", {"驗證碼": code}, **{"g-recaptcha-response": token})

    def enter_code_twice(self, codes: CodeSource) -> Reply:
        """Step 6 with the attacker's own phone, then the very same 「下一步」 request sent once more (a replay, with
        a fresh 「我不是機器人」 token) after the code was accepted; the second reply."""
        tab = self.apply()
        self.request_code(tab, Channel.MOBILE, self.identity.mobile)
        replay = tab.copy()
        self.tabs.append(replay)
        code = codes(Channel.MOBILE, self.identity.mobile)
        first = self.enter_code(tab, code)
        assert first.title == BasicDataPage.TITLE, f"the attacker's own phone did not verify: {first.notices}"
        return self.enter_code(replay, code)

    def enter_code_reusing_captcha(self, tab: Tab, code: str) -> list[Reply]:
        """Step 6 twice with one 「我不是機器人」 token, as a script that ticks the box once and sends it with every
        guess: a wrong guess first (siteverify then has seen the token), then `code`, the right one."""
        token = self.captcha_token(tab)
        guess = next(g for g in self.guesses(2) if g != code)
        return [enter_code(tab, guess, token), enter_code(tab, code, token)]

    def captcha_token(self, tab: Tab, hostname: str | None = None) -> str:
        """A 「我不是機器人」 token for the widget on the page shown, solved as if on `hostname` (default: the portal's
        own; another site's is what a captcha farm sells)."""
        return captcha_token(tab, hostname or urlparse(self.portal_url).hostname or "")

    def enter_code(self, tab: Tab, code: str, *, solved_on: str | None = None) -> Reply:
        """Step 6: the code, a 「我不是機器人」 token (solved on `solved_on`, default here), then 「下一步」."""
        return enter_code(tab, code, self.captcha_token(tab, solved_on))

    def verified_application(self, codes: CodeSource) -> Tab:
        """Steps 1–6 with the attacker's own phone: an application whose contact is verified."""
        tab = self.apply()
        self.request_code(tab, Channel.MOBILE, self.identity.mobile)
        reply = self.enter_code(tab, codes(Channel.MOBILE, self.identity.mobile))
        assert reply.title == BasicDataPage.TITLE, f"the attacker's own phone did not verify: {reply.notices}"
        return tab

    def flood(self, channel: Channel, address: str, sessions: int) -> list[Reply]:
        """`sessions` new sessions, each asking at the same moment for a code to `address`."""
        tabs = [self.apply() for _ in range(sessions)]
        return _together([partial(self.request_code, tab, channel, address) for tab in tabs])

    def guess_together(self, tab: Tab, guesses: list[str]) -> list[Reply]:
        """Every guess sent at the same moment from copies of `tab`, each with a 「我不是機器人」 token of its own."""
        tokens = [self.captcha_token(tab) for _ in guesses]
        copies = [tab.copy() for _ in guesses]
        self.tabs.extend(copies)
        captcha = "g-recaptcha-response"  # the field the widget's script adds to the form
        jobs = [
            partial(copy.submit, "下一步", {"驗證碼": guess}, **{captcha: token})
            for copy, guess, token in zip(copies, guesses, tokens, strict=True)
        ]
        return _together(jobs)

    def guesses(self, count: int) -> list[str]:
        """`count` different six-digit guesses."""
        return [f"{n:06d}" for n in self.rng.sample(range(1_000_000), count)]

    # login (documented step 24)
    def log_in(self, account: str, password: str, tab: Tab | None = None) -> Reply:
        """The login form with `account` and `password`; the reply's `elapsed` times the form's POST alone."""
        tab = tab or self.tab()
        if LoginPage.TITLE in tab.seen:
            tab.open(LoginPage)
        else:  # the first time: from the home page, by its link
            tab.open(HomePage)
            tab.follow(self.login_link)
        return tab.submit("登入", {"帳號": account, "密碼": password})

    def unknown_accounts(self, count: int) -> list[str]:
        """`count` valid 身分證字號 drawn at random: a portal has next to no chance of holding any of them."""
        letters = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
        return [
            with_check_digit(self.rng.choice(letters) + self.rng.choice("12") + f"{self.rng.randrange(10**7):07d}")
            for _ in range(count)
        ]

    # sessions copied off the citizen's computer
    def copy_session(self, browser: Page) -> Tab:
        """A tab holding the cookies the citizen's browser holds for the portal, as if copied off their computer,
        and the addresses of the screens in its history."""
        host = urlparse(self.portal_url).hostname
        cookies = [
            (c["name"], c["value"]) for c in browser.context.cookies() if c.get("domain", "").lstrip(".") == host
        ]
        self.seen.update(history(browser))
        return self.tab(cookies)

    def read_everything(self, tab: Tab) -> list[Reply]:
        """Every registration and member screen whose address the attacker knows, opened with `tab`'s cookies."""
        known = [screen for screen in APPLICATION_SCREENS if screen.TITLE in tab.seen]
        assert known, f"the attacker knows the address of none of {[s.TITLE for s in APPLICATION_SCREENS]}"
        return [tab.open(screen) for screen in known]


def _has(reply: Reply, button: str) -> bool:
    try:
        reply.form(button)
    except LookupError:
        return False
    return True


# real-name verification (documented steps 20–22), as the page's own script does it, from the citizen's computer
@dataclass(frozen=True, slots=True)
class Nonce:
    """What the portal's 「送出」 hands out for the card to sign: its id and its text."""

    nonce_id: int
    value: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the page posts back after the agent signed: the typed ID number, the nonce's id, the signature, the
    signing certificate."""

    id_number: str
    nonce_id: int
    signature: str
    certb64: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The portal's answer to posted evidence: the refusal the page shows the citizen, or where it goes next."""

    status: int
    error: str
    next: str


class _DataAttributes(HTMLParser):
    """The `data-*` attributes of the 步驟二 form: its CSRF token and the addresses its script calls, as the page's
    script reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.found |= {k.removeprefix("data-"): v or "" for k, v in attrs if k.startswith("data-")}


# The portal profile's [addresses] entries for what 步驟二's script calls, for a portal whose page does not declare
# them (docs/deployment.md#portal-profile); the twin's page declares both (data-nonce-url, data-verify-url).
NONCE_ADDRESS, EVIDENCE_ADDRESS = "步驟二：取得 nonce", "步驟二：送出簽章"


class CardScript:
    """步驟二 scripted on the citizen's own computer, in the citizen's session (`tab`): a nonce from the portal, the
    card's signature over it from the local 安控元件 (called as a native client, with no Origin, as zkID's signer
    does), the evidence posted back as the page's script posts it; every piece may be changed before it is sent.

    The 步驟二 page is where the citizen's browser was shown it (`tab.seen`), else reached by the 「下一步」 of the
    金質會員認證 page the browser was shown, else the portal profile's address of it (`addresses`, title → URL); the
    addresses its script calls are read off that page, else taken from the profile: never a route of the suite's."""

    def __init__(
        self,
        tab: Tab,
        agent_url: str,
        pin: str,
        *,
        addresses: Mapping[str, str] | None = None,
        agent_timeout: float = 60.0,
    ) -> None:
        self.tab, self.agent_url, self.pin, self.agent_timeout = tab, agent_url.rstrip("/"), pin, agent_timeout
        self.addresses = dict(addresses or {})
        page = tab.http.get(self._page(), timeout=30)
        reader = _DataAttributes()
        reader.feed(page.text)
        if "csrf" not in reader.found:
            raise LookupError(f"no 步驟二 form with a CSRF token at {page.url} (HTTP {page.status_code})")
        self.page, self.csrf = page.url, reader.found["csrf"]
        self.nonce_url = self._declared(page.url, reader.found.get("nonce-url"), NONCE_ADDRESS)
        self.verify_url = self._declared(page.url, reader.found.get("verify-url"), EVIDENCE_ADDRESS)

    def _page(self) -> str:
        """Where 步驟二 is, as the citizen would find it; LookupError when neither the browser nor the profile knows."""
        seen = self.tab.seen
        if CardVerificationPage.TITLE in seen:
            return seen[CardVerificationPage.TITLE]
        if GoldVerificationPage.TITLE in seen:  # 「下一步」 on the page before, shown once the agent is Ready
            gold = self.tab.open(GoldVerificationPage)
            if "下一步" in gold.links:
                return urljoin(gold.url, gold.links["下一步"])
        if CardVerificationPage.TITLE in self.addresses:
            return self.addresses[CardVerificationPage.TITLE]
        title = CardVerificationPage.TITLE
        raise LookupError(f"「{title}」 was never shown to the citizen and the portal profile has no address of it")

    def _declared(self, page: str, declared: str | None, entry: str) -> str:
        if declared:
            return urljoin(page, declared)
        if entry in self.addresses:
            return self.addresses[entry]
        raise LookupError(f"the 步驟二 page at {page} names no address for 「{entry}」, nor does the portal profile")

    def nonce(self) -> Nonce:
        """Press 「送出」: a fresh nonce issued to this session's member."""
        reply = self.tab.http.post(self.nonce_url, headers={"X-CSRF-Token": self.csrf}, timeout=30)
        reply.raise_for_status()
        body = reply.json()
        return Nonce(int(body["nonce_id"]), str(body["nonce"]))

    def sign(self, nonce: Nonce, id_number: str) -> Evidence:
        """The card's PKCS#1 signature over the nonce, through the agent's /sign (the PIN typed), as evidence."""
        package = {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": nonce.value, "tbsEncoding": "NONE"}
        package |= {"hashAlgorithm": "SHA256", "withCardSN": "true", "pin": self.pin, "nonce": ""}
        answer = requests.post(
            self.agent_url + "/sign", data={"tbsPackage": json.dumps(package)}, timeout=self.agent_timeout
        ).json()
        if answer.get("ret_code") != 0:
            raise AssertionError(f"the 安控元件 did not sign: ret_code {answer.get('ret_code')}")
        return Evidence(id_number, nonce.nonce_id, str(answer["signature"]), str(answer["certb64"]))

    def send(self, evidence: Evidence) -> Verdict:
        """Post the evidence as the page does; the portal's verdict."""
        body = {"id_number": evidence.id_number, "nonce_id": evidence.nonce_id}
        body |= {"signature": evidence.signature, "certb64": evidence.certb64}
        reply = self.tab.http.post(self.verify_url, json=body, headers={"X-CSRF-Token": self.csrf}, timeout=30)
        try:
            answer = reply.json()
        except ValueError:
            answer = {"error": reply.text[:200]}
        return Verdict(reply.status_code, str(answer.get("error", "")), str(answer.get("next", "")))

    def verify(self, id_number: str) -> Verdict:
        """The whole of 步驟二, honestly: a nonce, the card's signature over it, the evidence sent."""
        return self.send(self.sign(self.nonce(), id_number))


def tampered(certb64: str) -> str:
    """The certificate with one bit of its issuer's signature flipped: the same key, names and last four ID digits,
    but no longer what the CA signed."""
    der = bytearray(base64.b64decode(certb64))
    der[-1] ^= 0x01  # the signatureValue BIT STRING ends the certificate
    return base64.b64encode(bytes(der)).decode()


# 網路市民 (documented step 7): the attacker's own authorization, its last redirect kept instead of followed
def netizen_callback_link(tab: Tab, account: str, password: str) -> str:
    """Step 7's 「取回網路市民資料」 in `tab` (its 基本資料 form shown), 網路市民's login with `account` and its
    「同意授權」, the redirect back to the portal not followed: the address, his code and state in it, that would
    bring `account`'s profile into his application, to be sent to someone else (login CSRF, RFC 6749 §10.12). Its
    path is wherever the portal registered its callback: only the redirect says it."""
    tab.submit("取回網路市民資料")
    tab.submit("登入", {"帳號": account, "密碼": password})
    assert tab.last is not None
    form, pressed = tab.last.form("同意授權")
    data = {f.name: f.value for f in form.fields if f.kind not in {"radio", "checkbox"} or f.checked}
    data |= {pressed.name: pressed.value} if pressed.name else {}
    target = urljoin(tab.last.url, pressed.action or form.action or tab.last.url)
    answer = tab.http.post(target, data=data, timeout=30, allow_redirects=False)
    if not answer.is_redirect:
        raise AssertionError(f"「同意授權」 at {target} did not redirect back: HTTP {answer.status_code}")
    return urljoin(target, answer.headers["location"])


# the order of the application (documented steps 4 and 7), skipped by a script that sends a later form early
def code_without_application(attacker: Attacker) -> Reply:
    """Step 4's 「寄送驗證碼簡訊」, for the attacker's own phone, sent from a new session that has no application (no
    tier chosen, no consent): the form the attacker saw in another application of theirs, with the new session's
    own fields (its CSRF token, from 選擇會員類型)."""
    seen = attacker.apply()
    fresh = attacker.tab()
    fresh.open(HomePage)
    fresh.follow("申請臺北卡")
    typed = {CHANNEL_CHOICE[Channel.MOBILE]: "", ADDRESS_FIELD[Channel.MOBILE]: attacker.identity.mobile}
    return fresh.send_with_my_fields(seen, "寄送驗證碼簡訊", typed)


def basic_data_unverified(unverified: Tab, verified: Tab, person: CitizenProfile) -> Reply:
    """Step 7's 「下一步」 sent from `unverified`, an application whose code was never entered: the basic-data form
    `verified` shows (another application of the same person's, whose phone did pass its code), filled with
    `person`'s data, with `unverified`'s own fields (its CSRF token)."""
    typed = {"姓名": person.name, "身分證字號": person.id_number, "出生日期": person.birth_date.isoformat()}
    typed |= {person.sex.value: "", "地址": person.address}
    return unverified.send_with_my_fields(verified, "下一步", typed)


# documented step 8's 「註冊」 from a session whose basic data never passed step 7 (docs/server-rules.md)
def register_unseen(attacker: Attacker, session: Tab, codes: CodeSource, password: str) -> Reply:
    """「註冊」 with `password` sent from `session` (its 基本資料 screen where it was shown), which was never shown
    設定密碼: the form as served to another application of the attacker's that reached it honestly, with `session`'s
    own hidden fields (its CSRF token), so the portal reads it as `session`'s."""
    honest = attacker.verified_application(codes)
    reached = basic_data(honest, attacker.identity)
    assert reached.title == SetPasswordPage.TITLE, f"the attacker's own basic data was refused: {reached.notices}"
    session.open(BasicDataPage)
    return session.send_with_my_fields(honest, "註冊", {"密碼": password, "確認密碼": password})
