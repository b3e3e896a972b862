"""Steps of documented steps 7–8: basic data (typed or from 網路市民) and the password."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_bdd import given, parsers, then, when

from domain.citizen import Channel, CitizenProfile
from harness.citizens import mistype_last_digit, netizen_account
from harness.codes import CodeReader
from harness.stack import Stack
from pages.base import Screen
from pages.flows import Arrival
from pages.netizen import NetizenLoginPage
from pages.register import BasicDataPage, SetPasswordPage
from simulators.netizen import NetizenClient, NetizenFault

PROFILE_FIELDS = {"姓名": "name", "身分證字號": "id_number", "地址": "address"}


@given("市民已通過手機驗證", target_fixture="screen")
def _(arrive: Arrival, citizen: CitizenProfile, codes: CodeReader) -> BasicDataPage:
    return arrive.verify_contact(citizen, Channel.MOBILE, codes.newest)


@given("市民已填好基本資料", target_fixture="screen")
def _(screen: BasicDataPage, citizen: CitizenProfile) -> SetPasswordPage:
    return screen.fill_and_continue(citizen)


@when("市民填寫基本資料")
def _(screen: BasicDataPage, citizen: CitizenProfile) -> None:
    screen.fill(citizen)


@when("市民填寫基本資料，但身分證字號最後一碼打錯")
def _(screen: BasicDataPage, citizen: CitizenProfile) -> None:
    screen.fill(citizen, id_number=mistype_last_digit(citizen.id_number))


@then(parsers.parse("「{label}」欄位是市民的{same}"))
def _(screen: Screen, citizen: CitizenProfile, label: str, same: str) -> None:
    expect(screen.field(label)).to_have_value(getattr(citizen, PROFILE_FIELDS[label]))


@given("市民曾是網路市民會員")
def _(netizen: NetizenClient, citizen: CitizenProfile) -> None:
    netizen.add_account(
        netizen_account(citizen),
        citizen.password,
        name=citizen.name,
        email=citizen.email,
        mobile=citizen.mobile,
        address=citizen.address,
        id_number=citizen.id_number,
    )


@given("市民曾是網路市民會員，但當時沒有留下身分證字號")
def _(netizen: NetizenClient, citizen: CitizenProfile) -> None:
    netizen.add_account(netizen_account(citizen), citizen.password, name=citizen.name, address=citizen.address)


@given("網路市民服務暫停中")
def _(netizen: NetizenClient, private_stack: Stack) -> None:
    netizen.arm(NetizenFault.UNAVAILABLE, times=None)


@when("市民登入網路市民並同意授權")
def _(page: Page, citizen: CitizenProfile) -> None:
    NetizenLoginPage(page).expect_shown().sign_in_and_consent(netizen_account(citizen), citizen.password)


@when("市民依規則設定密碼")
def _(screen: SetPasswordPage, citizen: CitizenProfile) -> None:
    screen.set_password(citizen.password)


@when(parsers.parse("市民輸入密碼「{password}」"))
def _(screen: SetPasswordPage, password: str) -> None:
    screen.set_password(password)


@then(parsers.parse("密碼規則「{rule}」顯示未符合"))
def _(screen: SetPasswordPage, rule: str) -> None:
    expect(screen.rule(rule)).to_contain_text("（未符合）")
