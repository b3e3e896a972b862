"""Steps of documented steps 7–8: basic data (typed or from 網路市民) and the password."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from pytest_bdd import given, parsers, then, when

from domain.citizen import Channel, CitizenProfile, Sex
from domain.idnumber import with_check_digit
from harness.citizens import mistype_last_digit, netizen_account
from harness.codes import CodeReader
from harness.settings import Settings
from harness.stack import Stack
from pages.attacker import Attacker, Reply, netizen_callback_link, register_unseen
from pages.base import Screen
from pages.flows import Arrival
from pages.netizen import NetizenLoginPage, open_sent_link
from pages.register import BasicDataPage, MemberHomePage, SetPasswordPage
from simulators.netizen import NetizenClient, NetizenFault

PROFILE_FIELDS = {"姓名": "name", "身分證字號": "id_number", "地址": "address"}
OLD_RESIDENT_NUMBER = "AC01234567"  # a valid old-format 居留證號 (docs/protocols/id-number.md#resident-numbers)
# The Gherkin's words for how the 身分證字號 was mistyped → the citizen as then typed, each breaking one rule.
MISTYPED: dict[str, Callable[[CitizenProfile], CitizenProfile]] = {
    "沒有填": lambda c: replace(c, id_number=""),
    "少打一碼": lambda c: replace(c, id_number=c.id_number[:9]),
    "的英文字母打成小寫": lambda c: replace(c, id_number=c.id_number[0].lower() + c.id_number[1:]),
    "是舊式居留證號，第 2 個英文字母打成小寫": lambda c: replace(
        c, id_number=OLD_RESIDENT_NUMBER[0] + OLD_RESIDENT_NUMBER[1].lower() + OLD_RESIDENT_NUMBER[2:]
    ),
    "第 1 碼打成數字": lambda c: replace(c, id_number="1" + c.id_number[1:]),
    "第 2 碼打成 3": lambda c: replace(c, id_number=c.id_number[0] + "3" + c.id_number[2:]),
    "最後一碼打錯": lambda c: replace(c, id_number=mistype_last_digit(c.id_number)),
    "第 2 碼是 2，性別卻選了「男」": lambda c: replace(
        c, sex=Sex.MALE, id_number=with_check_digit(c.id_number[0] + "2" + c.id_number[2:9])
    ),
}
# The Gherkin's words for a birth date at the edge of the minimum age (seven), from the portal's today. Seven years
# before a 29 February is the 28th (the citizen turned seven yesterday, as the portal counts, so may still continue);
# a 7th birthday tomorrow on a 29 February that year lacks is 1 March (the birthday is still ahead).
BIRTH_DATES: dict[str, Callable[[date], date]] = {
    "7 年前的今天": lambda today: _years_before(today, 7, date(today.year - 7, 2, 28)),
    "7 年前的明天": lambda today: _years_before(today + timedelta(days=1), 7, date(today.year - 7, 3, 1)),
}


def _years_before(day: date, years: int, instead_of_29_february: date) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year without one
        return instead_of_29_february


def _portal_today(settings: Settings) -> date:
    """The date the portal reads off its clock: the embedded twin's is this machine's (its clock is put back to real
    time before every scenario), a deployment's is taken to be the citizen's (the browser's time zone)."""
    if settings.embedded:
        return date.today()
    return datetime.now(ZoneInfo(settings.timezone)).date()


def _add_netizen(netizen: NetizenClient, person: CitizenProfile) -> None:
    """`person` as a 網路市民 member of old, with every field of the profile filled in."""
    netizen.add_account(
        netizen_account(person),
        person.password,
        name=person.name,
        email=person.email,
        mobile=person.mobile,
        address=person.address,
        id_number=person.id_number,
    )


@given("市民已通過手機驗證", target_fixture="screen")
def _(arrive: Arrival, citizen: CitizenProfile, codes: CodeReader) -> BasicDataPage:
    return arrive.verify_contact(citizen, Channel.MOBILE, codes.newest)


@given("市民已填好基本資料", target_fixture="screen")
def _(screen: BasicDataPage, citizen: CitizenProfile) -> SetPasswordPage:
    return screen.fill_and_continue(citizen)


@when("市民填寫基本資料")
def _(screen: BasicDataPage, citizen: CitizenProfile) -> None:
    screen.fill(citizen)


@when(parsers.parse("市民填寫基本資料，但身分證字號{mistake}"), target_fixture="typed")
def _(screen: BasicDataPage, citizen: CitizenProfile, mistake: str) -> CitizenProfile:
    screen.fill(typed := MISTYPED[mistake](citizen))
    return typed


@when(parsers.parse("市民填寫基本資料，出生日期是 {moment}"))
def _(screen: BasicDataPage, citizen: CitizenProfile, tpcd_settings: Settings, moment: str) -> None:
    screen.fill(replace(citizen, birth_date=BIRTH_DATES[moment](_portal_today(tpcd_settings))))


@then(parsers.parse("「{label}」欄位是市民的{same}"))
def _(screen: Screen, citizen: CitizenProfile, label: str, same: str) -> None:
    expect(screen.field(label)).to_have_value(getattr(citizen, PROFILE_FIELDS[label]))


@then("市民填的基本資料都還在")
def _(screen: BasicDataPage, typed: CitizenProfile) -> None:
    for label, attribute in PROFILE_FIELDS.items():
        expect(screen.field(label)).to_have_value(getattr(typed, attribute))
    expect(screen.sex[typed.sex]).to_be_checked()


@given("市民曾是網路市民會員")
def _(netizen: NetizenClient, citizen: CitizenProfile) -> None:
    _add_netizen(netizen, citizen)


@given("市民曾是網路市民會員，但當時沒有留下身分證字號")
def _(netizen: NetizenClient, citizen: CitizenProfile) -> None:
    netizen.add_account(netizen_account(citizen), citizen.password, name=citizen.name, address=citizen.address)


@given("網路市民服務暫停中")
def _(netizen: NetizenClient, private_stack: Stack) -> None:
    netizen.arm(NetizenFault.UNAVAILABLE, times=None)


@when("市民登入網路市民並同意授權")
def _(page: Page, citizen: CitizenProfile) -> None:
    NetizenLoginPage(page).expect_shown().sign_in_and_consent(netizen_account(citizen), citizen.password)


@when("市民登入網路市民但按下「取消」")
def _(page: Page, citizen: CitizenProfile) -> None:
    NetizenLoginPage(page).expect_shown().sign_in_and_decide(netizen_account(citizen), citizen.password, "取消")


# login CSRF through 網路市民 (RFC 6749 §10.12): a callback made in the attacker's flow, opened by the citizen
@given("攻擊者也是網路市民會員")
def _(netizen: NetizenClient, attacker: Attacker) -> None:
    _add_netizen(netizen, attacker.identity)


@given("攻擊者在自己的申請按下「取回網路市民資料」並同意授權，但沒有回到臺北卡網站", target_fixture="sent_link")
def _(attacker: Attacker, codes: CodeReader) -> str:
    tab = attacker.verified_application(codes.newest)
    return netizen_callback_link(tab, netizen_account(attacker.identity), attacker.identity.password)


@given("市民還沒有按「取回網路市民資料」")
def _(screen: BasicDataPage) -> None:
    screen.expect_shown()


@given("市民按下「取回網路市民資料」後停在網路市民登入頁面")
def _(screen: BasicDataPage, page: Page) -> None:
    screen.press("取回網路市民資料")
    NetizenLoginPage(page).expect_shown()


@when("市民開啟攻擊者傳來的網址")
def _(page: Page, sent_link: str) -> None:
    status = open_sent_link(page, sent_link)
    assert status < 500, f"the portal failed on the link (HTTP {status}) instead of answering the citizen"


@then(parsers.parse("「{label}」欄位不是攻擊者的{same}"))
def _(screen: Screen, attacker: Attacker, label: str, same: str) -> None:
    expect(screen.field(label)).not_to_have_value(getattr(attacker.identity, PROFILE_FIELDS[label]))


@when("市民依規則設定密碼")
def _(screen: SetPasswordPage, citizen: CitizenProfile) -> None:
    screen.set_password(citizen.password)


@when(parsers.parse("市民輸入密碼「{password}」"))
def _(screen: SetPasswordPage, password: str) -> None:
    screen.set_password(password)


@then(parsers.parse("密碼規則「{rule}」顯示未符合"))
def _(screen: SetPasswordPage, rule: str) -> None:
    expect(screen.rule(rule)).to_contain_text("（未符合）")


# documented step 8's 「註冊」 sent without the page, from an application whose basic data never passed step 7
@given("市民還沒有填寫基本資料")
def _(screen: BasicDataPage) -> None:
    screen.expect_shown()


@given(parsers.parse("市民填寫的基本資料出生日期是 {moment}，網站不接受"))
def _(screen: BasicDataPage, citizen: CitizenProfile, tpcd_settings: Settings, moment: str) -> None:
    screen.fill(replace(citizen, birth_date=BIRTH_DATES[moment](_portal_today(tpcd_settings))))
    screen.press("下一步")
    screen.expect_shown()


@when("市民的工作階段不經頁面送出「設定密碼」的「註冊」", target_fixture="replies")
def _(attacker: Attacker, page: Page, citizen: CitizenProfile, codes: CodeReader) -> list[Reply]:
    return [register_unseen(attacker, attacker.copy_session(page), codes.newest, citizen.password)]


@then(parsers.parse("網站回以「{title}」頁面"))
def _(replies: list[Reply], title: str) -> None:
    assert replies[-1].title == title, (replies[-1].status, replies[-1].title, replies[-1].notices)


@then("以市民的身分證字號和密碼無法進入「會員專區」")
def _(attacker: Attacker, citizen: CitizenProfile) -> None:
    reply = attacker.log_in(citizen.id_number, citizen.password)
    assert reply.title != MemberHomePage.TITLE, (reply.status, reply.title, reply.notices)
