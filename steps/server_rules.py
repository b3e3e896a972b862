"""Steps of the server-side rules of documented steps 2–9 that no other feature reaches: each breaks one rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import urlparse

from playwright.sync_api import Page
from pytest_bdd import given, parsers, then, when

from domain.citizen import Channel, CitizenProfile, Sex
from harness.citizens import make_citizen, same_last_four
from harness.codes import CodeReader
from harness.profile import PortalProfile
from pages.attacker import (
    Attacker,
    Reply,
    Tab,
    basic_data,
    basic_data_unverified,
    become_member,
    code_without_application,
    enter_code,
    verify_mobile,
)
from pages.register import BasicDataPage, MemberHomePage, SetPasswordPage, VerifyContactPage
from pages.screens import SCREENS
from simulators.sms import SmsClient

# The Gherkin's words for what is wrong with the basic data → the citizen as then typed.
BROKEN: dict[str, Callable[[CitizenProfile], CitizenProfile]] = {
    "選擇與身分證字號第 2 碼不符的性別": lambda c: replace(c, sex=Sex.FEMALE if c.sex is Sex.MALE else Sex.MALE),
    "出生日期填 6 年前": lambda c: replace(c, birth_date=date.today() - timedelta(days=6 * 365)),
    "出生日期填後天": lambda c: replace(c, birth_date=date.today() + timedelta(days=2)),
    "姓名只填一個字": lambda c: replace(c, name=c.name[0]),
    "地址只填「臺北市」": lambda c: replace(c, address="臺北市"),
}


@when(parsers.parse("市民填寫基本資料時{broken}"))
def _(screen: BasicDataPage, citizen: CitizenProfile, broken: str) -> None:
    screen.fill(BROKEN[broken](citizen))


@when("攻擊者選擇頁面上沒有的會員類型", target_fixture="replies")
def _(attacker: Attacker) -> list[Reply]:
    return [attacker.choose_tier("platinum")]


@when("攻擊者從沒有選擇會員類型的工作階段送出同意", target_fixture="replies")
def _(attacker: Attacker) -> list[Reply]:
    return [attacker.consent_without_tier()]


# contact verification (documented steps 4–6)
def _mobiles(attacker: Attacker, count: int) -> list[str]:
    """`count` numbers of people other than the attacker and the citizen, the same every time for a scenario."""
    return [make_citizen(attacker.identity.seed + 20 + n, run=attacker.identity.run).mobile for n in range(count)]


@when("攻擊者要求以頁面上沒有的方式把驗證碼寄到自己的手機", target_fixture="replies")
def _(attacker: Attacker) -> list[Reply]:
    return [attacker.request_code_by(attacker.apply(), "fax", attacker.identity.mobile)]


@then("攻擊者的手機沒有收到簡訊")
def _(sms: SmsClient, attacker: Attacker) -> None:
    assert sms.messages(attacker.identity.mobile) == []


@when(parsers.parse("攻擊者以同一份申請輪流要求寄送驗證碼到 {count:d} 支不同的手機"), target_fixture="replies")
def _(attacker: Attacker, count: int) -> list[Reply]:
    return attacker.request_codes_in_turn(_mobiles(attacker, count))


@then(parsers.parse("第 {nth:d} 支手機沒有收到簡訊"))
def _(sms: SmsClient, attacker: Attacker, nth: int) -> None:
    assert sms.messages(_mobiles(attacker, nth)[-1]) == []


@when("攻擊者從沒有寄送驗證碼的申請送出自己手機收到的驗證碼", target_fixture="replies")
def _(attacker: Attacker, codes: CodeReader) -> list[Reply]:
    return [attacker.enter_code_unasked(codes.newest)]


@when("攻擊者以自己的手機通過驗證後，再送一次同一個驗證碼", target_fixture="replies")
def _(attacker: Attacker, codes: CodeReader) -> list[Reply]:
    return [attacker.enter_code_twice(codes.newest)]


# The Gherkin's words for how step 6's form is sent without the page → (attacker, their tab, the code received) →
# the replies. The page sends none of these: its 「下一步」 waits for a code and a ticked box, and ticks it anew.
CODE_FORMS: dict[str, Callable[[Attacker, Tab, str], list[Reply]]] = {
    "驗證碼欄位空白": lambda attacker, tab, code: [attacker.enter_code(tab, "")],
    "沒有勾選「我不是機器人」": lambda attacker, tab, code: [enter_code(tab, code, "")],
    "附上前一次猜錯時已用過的「我不是機器人」驗證": Attacker.enter_code_reusing_captcha,
}


@given("攻擊者的手機收到了驗證碼", target_fixture="received")
def _(attacker: Attacker, codes: CodeReader) -> str:
    return codes.newest(Channel.MOBILE, attacker.identity.mobile)


@when(parsers.parse("攻擊者不經頁面送出驗證碼，{how}"), target_fixture="replies")
def _(attacker: Attacker, attacker_tab: Tab, received: str, how: str) -> list[Reply]:
    return CODE_FORMS[how](attacker, attacker_tab, received)


@then("攻擊者的申請仍未通過驗證，頁面仍等候輸入驗證碼")
def _(replies: list[Reply]) -> None:
    assert replies[-1].title == VerifyContactPage.TITLE, (replies[-1].url, replies[-1].title, replies[-1].notices)
    replies[-1].form("下一步")  # the code's form is still there: LookupError lists what is instead


@when("攻擊者輸入收到的驗證碼，並重新勾選「我不是機器人」", target_fixture="replies")
def _(attacker: Attacker, attacker_tab: Tab, received: str) -> list[Reply]:
    return [attacker.enter_code(attacker_tab, received)]


@when("攻擊者從沒有申請的工作階段要求把驗證碼寄到自己的手機", target_fixture="replies")
def _(attacker: Attacker) -> list[Reply]:
    return [code_without_application(attacker)]


@when("攻擊者從沒有輸入驗證碼的申請送出自己的基本資料", target_fixture="replies")
def _(attacker: Attacker, attacker_tab: Tab, codes: CodeReader) -> list[Reply]:
    # the form is read off another application of theirs, verified with a second phone (the first one's code is
    # still cooling down)
    second_phone = replace(attacker.identity, mobile=_mobiles(attacker, 1)[0])
    verified = attacker.tab()
    verify_mobile(verified, second_phone, codes.newest, urlparse(attacker.portal_url).hostname or "")
    return [basic_data_unverified(attacker_tab, verified, attacker.identity)]


@then(parsers.parse("攻擊者看到「{title}」頁面"))
def _(replies: list[Reply], title: str) -> None:
    assert (replies[-1].status, replies[-1].title) == (200, title), (replies[-1].url, replies[-1].notices)


@when("攻擊者送出未選性別的基本資料", target_fixture="replies")
def _(attacker: Attacker, attacker_tab: Tab) -> list[Reply]:
    return [basic_data(attacker_tab, attacker.identity, sex_chosen=False)]


@when("攻擊者以市民的身分證字號填寫基本資料", target_fixture="replies")
def _(attacker_tab: Tab, citizen: CitizenProfile) -> list[Reply]:
    return [basic_data(attacker_tab, citizen)]


@when("市民輸入密碼，但確認密碼打錯一個字")
def _(screen: SetPasswordPage, citizen: CitizenProfile) -> None:
    screen.enter_secret(screen.password, citizen.password)
    screen.enter_secret(screen.confirm, citizen.password[:-1])


@when(parsers.parse("市民直接開啟「{title}」頁面"))
def _(page: Page, portal_profile: PortalProfile, portal_url: str, title: str) -> None:
    page.goto(portal_profile.url(portal_url, portal_profile.addresses[title]))  # whatever the portal then shows


@given(parsers.parse("已有 {count:d} 位市民註冊為會員"), target_fixture="members")
def _(attacker: Attacker, citizen: CitizenProfile, codes: CodeReader, count: int) -> list[CitizenProfile]:
    members = [make_citizen(citizen.seed + 10 + n, run=citizen.run) for n in range(count)]
    for member in members:
        become_member(attacker.tab(), member, codes.newest, urlparse(attacker.portal_url).hostname or "")
    return members


@when(parsers.parse("攻擊者依序以這 {count:d} 位會員的身分證字號填寫基本資料"), target_fixture="replies")
def _(attacker_tab: Tab, members: list[CitizenProfile], count: int) -> list[Reply]:
    return [basic_data(attacker_tab, member) for member in members[:count]]


@when(parsers.parse("攻擊者讓市民的瀏覽器從別的網站送出「{button}」"), target_fixture="replies")
def _(stolen: Tab, button: str) -> list[Reply]:
    stolen.open(MemberHomePage)
    return [stolen.forge(button)]


@then(parsers.parse("攻擊者以複製的工作階段仍可進入「{title}」"))
def _(stolen: Tab, title: str) -> None:
    assert stolen.open(SCREENS[title]).title == title


# two applications of one person, or of one phone, side by side (documented step 8's checks at 「註冊」)
TABS = {"一": 0, "二": 1}


@given("市民在兩個分頁都填好同樣的基本資料，各以一支手機驗證", target_fixture="tabs")
def _(attacker: Attacker, citizen: CitizenProfile, codes: CodeReader) -> list[Tab]:
    second_phone = replace(citizen, mobile=same_last_four(citizen).mobile)
    return [_filled(attacker, person, codes) for person in (citizen, second_phone)]


@given("市民和家人以市民的手機驗證，在兩個分頁各自填好基本資料", target_fixture="tabs")
def _(attacker: Attacker, citizen: CitizenProfile, codes: CodeReader) -> list[Tab]:
    family = replace(same_last_four(citizen), mobile=citizen.mobile)
    return [_filled(attacker, person, codes) for person in (citizen, family)]


def _filled(attacker: Attacker, person: CitizenProfile, codes: CodeReader) -> Tab:
    """A tab of its own with `person`'s phone verified and basic data sent: the password page is shown."""
    tab = attacker.tab()
    verify_mobile(tab, person, codes.newest, urlparse(attacker.portal_url).hostname or "")
    reply = basic_data(tab, person)
    assert reply.title == SetPasswordPage.TITLE, reply.notices
    return tab


@when(parsers.parse("市民在第{which}個分頁設定密碼並按下「註冊」"), target_fixture="replies")
def _(tabs: list[Tab], citizen: CitizenProfile, which: str) -> list[Reply]:
    return [tabs[TABS[which]].submit("註冊", {"密碼": citizen.password, "確認密碼": citizen.password})]


@then(parsers.parse("市民在第{which}個分頁看到提示「{text}」"))
def _(replies: list[Reply], text: str, which: str) -> None:
    assert replies[-1].says(text), replies[-1].notices
