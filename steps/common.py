"""Steps every feature shares: opening the portal, pressing a documented control, seeing a screen or a notice."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_bdd import given, parsers, then, when

from domain.citizen import CitizenProfile
from pages.apply import HomePage
from pages.base import Screen
from pages.screens import SCREENS


@given("市民開啟臺北卡網站", target_fixture="screen")
def _(page: Page, citizen: CitizenProfile) -> Screen:
    return HomePage(page).open()


@when(parsers.parse("市民按下「{label}」"))
def _(screen: Screen, label: str) -> None:
    screen.press(label)


@then(parsers.parse("市民看到「{title}」頁面"), target_fixture="screen")
def _(page: Page, title: str) -> Screen:
    return SCREENS[title](page).expect_shown()


@then(parsers.parse("市民看到提示「{message}」"))
def _(screen: Screen, message: str) -> None:
    expect(screen.message(message)).to_be_visible()


@then(parsers.parse("「{label}」按鈕無法按下"))
def _(screen: Screen, label: str) -> None:
    expect(screen.control(label)).to_be_disabled()


@then(parsers.parse("「{label}」按鈕可以按下"))
def _(screen: Screen, label: str) -> None:
    expect(screen.control(label)).to_be_enabled()
