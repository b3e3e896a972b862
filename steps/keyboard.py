"""Steps 1–9 by keyboard alone (pages/keyboard.py): the screens the mouse reaches, reached with Tab and Shift-Tab."""

from __future__ import annotations

from pytest_bdd import parsers, when

from domain.citizen import Channel, CitizenProfile
from harness.codes import CodeReader
from pages import keyboard
from pages.apply import MemberRegistrationPage
from pages.base import Screen
from pages.register import BasicDataPage, SetPasswordPage, VerifyContactPage
from steps.contact import CHANNEL


@when(parsers.parse("市民以鍵盤按下「{label}」"))
def _(screen: Screen, label: str) -> None:
    keyboard.Keyboard(screen.page).activate(screen.control(label))


@when("市民以鍵盤勾選同意個資使用相關內容")
def _(screen: MemberRegistrationPage) -> None:
    keyboard.agree(screen)


@when(parsers.parse("市民以鍵盤選擇以{channel}接收驗證碼並按下「寄送驗證碼簡訊」"), converters=CHANNEL)
def _(screen: VerifyContactPage, citizen: CitizenProfile, channel: Channel) -> None:
    keyboard.send_code(screen, channel, channel.of(citizen))


@when(parsers.parse("市民以鍵盤輸入{channel}收到的驗證碼"), converters=CHANNEL)
def _(screen: VerifyContactPage, codes: CodeReader, citizen: CitizenProfile, channel: Channel) -> None:
    keyboard.enter_code(screen, codes.newest(channel, channel.of(citizen)))


@when("市民以鍵盤勾選「我不是機器人」")
def _(screen: VerifyContactPage) -> None:
    keyboard.tick_captcha(screen)


@when("市民以鍵盤填寫基本資料")
def _(screen: BasicDataPage, citizen: CitizenProfile) -> None:
    keyboard.fill_basic_data(screen, citizen)


@when("市民以鍵盤依規則設定密碼")
def _(screen: SetPasswordPage, citizen: CitizenProfile) -> None:
    keyboard.set_password(screen, citizen.password)
