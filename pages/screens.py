"""Title → page object: drives the one step 「市民看到「X」頁面」 (docs/contributing.md#page-objects)."""

from __future__ import annotations

from pages.apply import ChooseMembershipPage, HomePage, MemberRegistrationPage
from pages.base import Screen
from pages.gold import CardVerificationPage, GoldVerificationPage, LoginPage, VerifiedPage
from pages.netizen import NetizenLoginPage
from pages.register import (
    BasicDataPage,
    MemberHomePage,
    RegistrationDonePage,
    SetPasswordPage,
    VerifyContactPage,
)

ALL: tuple[type[Screen], ...] = (
    HomePage,
    ChooseMembershipPage,
    MemberRegistrationPage,
    VerifyContactPage,
    BasicDataPage,
    SetPasswordPage,
    RegistrationDonePage,
    MemberHomePage,
    GoldVerificationPage,
    CardVerificationPage,
    VerifiedPage,
    LoginPage,
    NetizenLoginPage,
)
SCREENS: dict[str, type[Screen]] = {screen.TITLE: screen for screen in ALL}
