"""Multi-screen rollups, so a scenario about step N can start there in one line."""

from __future__ import annotations

from playwright.sync_api import Page

from pages.apply import HomePage, MemberRegistrationPage


def choose_membership(page: Page, label: str) -> MemberRegistrationPage:
    """Steps 1–2 from the home page: [申請臺北卡], then the tier button `label`."""
    return HomePage(page).open().start_application().choose(label)
