"""Title → page object: drives the one step 「市民看到「X」頁面」 (STYLE.md §13.10)."""

from __future__ import annotations

from pages.apply import ChooseMembershipPage, HomePage, MemberRegistrationPage, VerifyContactPage
from pages.base import Screen

SCREENS: dict[str, type[Screen]] = {
    screen.TITLE: screen for screen in (HomePage, ChooseMembershipPage, MemberRegistrationPage, VerifyContactPage)
}
