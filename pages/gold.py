"""Screens of documented steps 10 and 20–24: gold verification, 步驟二 with the PINCODE box, the account, login."""

from __future__ import annotations

import io
from urllib.parse import urljoin

import zxingcpp
from PIL import Image
from playwright.sync_api import APIResponse, Download, Page, expect

from pages.base import Screen, history
from pages.register import MemberHomePage


class GoldVerificationPage(Screen):
    """金質會員認證 (步驟一): the notice, [下載安控元件], and what the page found of the agent."""

    TITLE = "金質會員認證"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.download_link = page.get_by_role("button", name="下載安控元件")
        self.agent_status = page.get_by_role("region", name="安控元件狀態").get_by_role("status")

    def download_agent(self) -> Download:
        """Press [下載安控元件] and keep the downloaded setup file."""
        with self.page.expect_download() as download:
            self.download_link.click()
        return download.value

    def fetch_installer(self, user_agent: str) -> APIResponse:
        """The installer's address (where 「下載安控元件」 led this supported browser) asked for directly by a browser
        sending `user_agent`, as a link passed on would be."""
        return self.page.request.get(self.download_agent().url, headers={"user-agent": user_agent})

    def go_to_step_two(self) -> CardVerificationPage:
        """Press [下一步] once the agent runs: 步驟二, where the card is read."""
        self.press("下一步")
        return CardVerificationPage(self.page).expect_shown()


class CardVerificationPage(Screen):
    """步驟二: the ID number and 橘色[送出], then the PINCODE box with [OK]."""

    TITLE = "步驟二：自然人憑證實名驗證"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.id_number = page.get_by_label("身分證字號", exact=True)
        self.submit = page.get_by_role("button", name="送出", exact=True)
        self.pin_box = page.get_by_role("dialog", name="PINCODE")
        self.pin = page.get_by_label("請輸入自然人憑證 PIN 碼")
        self.ok = page.get_by_role("button", name="OK", exact=True)
        self.error = page.get_by_role("alert")
        self.trust = page.get_by_role("button", name="加入信任網站")

    def send_id_number(self, id_number: str) -> None:
        """Type the ID number and press [送出]; the PINCODE box opens."""
        self.id_number.fill(id_number)
        self.submit.click()
        expect(self.pin_box).to_be_visible()

    def enter_pin(self, pin: str) -> None:
        """Type the PIN and press [OK]: the page signs through the agent's popup."""
        self.enter_secret(self.pin, pin)
        self.ok.click()

    def verify(self, id_number: str, pin: str) -> None:
        """Steps 21–22 in one go: the ID number and [送出], then the PIN and [OK]."""
        self.send_id_number(id_number)
        self.enter_pin(pin)

    def trust_this_site(self) -> None:
        """Press [加入信任網站] and answer [是] in the agent's own confirmation window."""
        with self.page.expect_popup() as popup:
            self.trust.click()
        popup.value.get_by_role("button", name="是").click()


class VerifiedPage(Screen):
    """實名認證成功 (step 23): the account, the app's QR code, 橘色[登入臺北卡3.0網站]."""

    TITLE = "實名認證成功"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.account = page.get_by_label("您的帳號")
        self.qr = page.get_by_role("img", name="行動臺北卡APP下載 QR Code")

    def account_number(self) -> str:
        """The account shown, as the citizen notes it down to log in with."""
        return self.account.inner_text()

    def qr_png(self) -> bytes:
        """The QR code image as the browser received it."""
        source = urljoin(self.page.url, self.qr.get_attribute("src") or "")  # as the page's own address resolves it
        return self.page.request.get(source).body()

    def qr_texts(self) -> list[str]:
        """What a phone scanning the QR code image reads: one text per code found in it."""
        return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(self.qr_png())))]


class LoginPage(Screen):
    """登入臺北卡3.0: account and password."""

    TITLE = "登入臺北卡3.0"

    def log_in(self, account: str, password: str) -> MemberHomePage:
        """Type both and press [登入]: the member's own page."""
        self.try_log_in(account, password)
        return MemberHomePage(self.page).expect_shown()

    def try_log_in(self, account: str, password: str) -> None:
        """Type both and press [登入], whatever the portal answers (a lockout notice, say)."""
        self.field("帳號").fill(account)
        self.enter_secret(self.field("密碼"), password)
        self.press("登入")

    def in_another_tab(self) -> LoginPage:
        """This form opened in another tab of the same browser, at the address the address bar shows for it."""
        tab = self.page.context.new_page()
        tab.goto(history(self.page)[self.TITLE])
        return LoginPage(tab).expect_shown()
