"""Screens of documented steps 1–4: home, the choice of membership, the terms, then contact verification."""

from __future__ import annotations

from playwright.sync_api import Page

from pages.base import Screen
from pages.register import VerifyContactPage


class HomePage(Screen):
    """臺北卡3.0 home: the 桃紅色 [申請臺北卡] starts an application (step 1). The one screen opened by its address:
    the browser's base URL is the portal's home (the portal profile's `home`, harness/profile.py)."""

    TITLE = "臺北卡3.0"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.apply = page.get_by_role("button", name="申請臺北卡", exact=True)

    def open(self) -> HomePage:
        """Open the portal's home page, as the citizen types its address (step 1)."""
        self.page.goto("")  # the context's base URL itself (harness.plugin.browser)
        return self.expect_shown()

    def start_application(self) -> ChooseMembershipPage:
        """Press [申請臺北卡]."""
        self.apply.click()
        return ChooseMembershipPage(self.page).expect_shown()


class ChooseMembershipPage(Screen):
    """選擇會員類型: [一般會員註冊] or [金質會員註冊] (step 2)."""

    TITLE = "選擇會員類型"

    def choose(self, label: str) -> MemberRegistrationPage:
        """Press the tier's button, e.g. 「金質會員註冊」."""
        self.press(label)
        return MemberRegistrationPage(self.page).expect_shown()


class MemberRegistrationPage(Screen):
    """會員註冊: the personal-data terms, a tick box and [下一步], disabled until ticked (step 3)."""

    TITLE = "會員註冊"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.terms = page.get_by_role("region", name="個人資料蒐集、處理及利用告知事項")
        self.consent = page.get_by_role("checkbox", name="我已詳閱並同意上述個人資料使用相關內容")
        self.next = page.get_by_role("button", name="下一步", exact=True)
        self.tier = page.get_by_text("註冊類型：")

    def agree(self) -> None:
        """Tick the consent box."""
        self.consent.check()

    def withdraw(self) -> None:
        """Untick the consent box."""
        self.consent.uncheck()

    def submit_without_consent(self) -> None:
        """Send the form unticked, as a client that ignores the page's own checks would: the server must refuse."""
        self.consent.uncheck()
        self.next.evaluate("button => { button.disabled = false; button.click(); }")

    def agree_and_continue(self) -> VerifyContactPage:
        """Tick the box and press [下一步]."""
        self.agree()
        self.next.click()
        return VerifyContactPage(self.page).expect_shown()
