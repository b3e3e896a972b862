"""Steps of documented steps 1–3 and 9: apply, choose the membership, consent; then [是] or [否]."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_bdd import given, parsers, then, when

from domain.citizen import Channel, CitizenProfile
from harness.codes import CodeReader
from pages.apply import MemberRegistrationPage
from pages.base import Screen
from pages.flows import Arrival, choose_membership, consent
from pages.register import RegistrationDonePage, VerifyContactPage


@given(parsers.parse("市民已選擇「{label}」"), target_fixture="screen")
def _(page: Page, label: str) -> MemberRegistrationPage:
    return choose_membership(page, label)


@then(parsers.parse("頁面顯示註冊類型為「{tier}」"))
def _(screen: MemberRegistrationPage, tier: str) -> None:
    expect(screen.tier).to_have_text(f"註冊類型：{tier}")


@when("市民勾選同意個資使用相關內容")
def _(screen: MemberRegistrationPage) -> None:
    screen.agree()


@when("市民取消勾選同意個資使用相關內容")
def _(screen: MemberRegistrationPage) -> None:
    screen.withdraw()


@when("市民略過頁面檢查，未勾選同意就送出")
def _(screen: MemberRegistrationPage) -> None:
    screen.submit_without_consent()


@given("市民已完成會員註冊", target_fixture="screen")
def _(arrive: Arrival, citizen: CitizenProfile, codes: CodeReader) -> RegistrationDonePage:
    return arrive.register(citizen, codes.newest)


@then(parsers.parse("左上角狀態顯示「{status}」"))
def _(screen: Screen, status: str) -> None:
    expect(screen.status).to_have_text(status)


@when("市民再次以同一支手機申請金質會員", target_fixture="screen")
def _(page: Page, citizen: CitizenProfile) -> VerifyContactPage:
    verify = consent(page)
    verify.send_code(Channel.MOBILE, citizen.mobile)
    return verify
