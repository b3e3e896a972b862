"""The 網路市民 service's own screens: its login and its consent page (another site, reached by redirect)."""

from __future__ import annotations

from playwright.sync_api import Page

from pages.base import Screen


class NetizenLoginPage(Screen):
    """網路市民登入: account and password, then consent to share the profile with 臺北卡 (or cancel)."""

    TITLE = "網路市民登入"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.account = page.get_by_label("帳號", exact=True)
        self.password = page.get_by_label("密碼", exact=True)
        self.login = page.get_by_role("button", name="登入")

    def sign_in_and_consent(self, account: str, password: str) -> None:
        """Log in, then press [同意授權] on the consent page."""
        self.sign_in_and_decide(account, password, "同意授權")

    def sign_in_and_decide(self, account: str, password: str, decision: str) -> None:
        """Log in, then press `decision` ([同意授權] or [取消]) on the consent page."""
        self.account.fill(account)
        self.enter_secret(self.password, password)
        self.login.click()
        self.page.get_by_role("button", name=decision, exact=True).click()


def open_sent_link(page: Page, address: str) -> int:
    """Open in the citizen's browser an address someone sent her (a chat message, a mail), her cookies going along;
    the HTTP status of the page it lands on, redirects followed."""
    landed = page.goto(address)
    assert landed is not None, f"{address} opened no page"  # goto answers None only for an anchor or about:blank
    return landed.status
