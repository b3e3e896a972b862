"""Multi-screen rollups, so a scenario about step N can start there in one line."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from harness.citizens import Channel, CitizenProfile
from pages.apply import HomePage, MemberRegistrationPage
from pages.gold import GoldVerificationPage, VerifiedPage
from pages.register import BasicDataPage, RegistrationDonePage, SetPasswordPage, VerifyContactPage

CodeSource = Callable[[Channel, str], str]  # (channel, address) → the newest code received there


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
    verify = receive_code(page, citizen, channel)
    verify.enter_code(codes(channel, channel.of(citizen)))
    verify.tick_captcha()
    verify.press("下一步")
    return BasicDataPage(page).expect_shown()


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


def verify_real_name(gold: GoldVerificationPage, citizen: CitizenProfile) -> VerifiedPage:
    """Steps 20–23 once the agent runs and the citizen's card is in the reader: 實名認證成功."""
    gold.go_to_step_two().verify(citizen.id_number, citizen.pin)
    return VerifiedPage(gold.page).expect_shown()
