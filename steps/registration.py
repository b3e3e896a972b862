"""Steps of the registration phases (documented steps 1–9)."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_bdd import given, parsers, then, when

from pages.apply import MemberRegistrationPage
from pages.flows import choose_membership


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
