"""Screens of documented steps 4–9: contact verification, basic data, password, and 註冊完成 with [是]/[否]."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from domain.citizen import Channel, CitizenProfile, Sex
from pages.base import Screen, history


class VerifyContactPage(Screen):
    """驗證手機或電子郵件: send a code (step 4), then type it and tick 「我不是機器人」 (step 6)."""

    TITLE = "驗證手機或電子郵件"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.channels = {
            Channel.MOBILE: page.get_by_role("radio", name="以手機號碼驗證"),
            Channel.EMAIL: page.get_by_role("radio", name="以電子郵件驗證"),
        }
        self.addresses = {
            Channel.MOBILE: page.get_by_label("手機號碼", exact=True),
            Channel.EMAIL: page.get_by_label("電子郵件", exact=True),
        }
        self.send = page.get_by_role("button", name="寄送驗證碼簡訊")
        self.code = page.get_by_label("驗證碼", exact=True)
        self.captcha = page.get_by_role("checkbox", name="我不是機器人")
        self.captcha_status = page.get_by_role("group", name="reCAPTCHA").get_by_role("status")
        self.challenge_answer = page.get_by_label("圖中的數字")
        self.resend = page.get_by_role("button", name="重新寄送驗證碼")
        self.countdown = page.get_by_role("timer")

    def send_code(self, channel: Channel, address: str) -> None:
        """Choose the channel, type the address, press 藍色[寄送驗證碼簡訊]."""
        self.channels[channel].check()
        self.addresses[channel].fill(address)
        self.send.click()

    def expect_code_sent(self) -> VerifyContactPage:
        """Wait for the code-entry stage of the page."""
        expect(self.code).to_be_visible()
        return self

    def refusal_after_send(self) -> str:
        """Once 「寄送驗證碼簡訊」 is pressed: "" when the page moves on to the code's entry, else the refusal it
        shows instead (why no code went out)."""
        expect(self.code.or_(self.alert).first).to_be_visible()
        return "" if self.code.is_visible() else self.alert.inner_text()

    def enter_code(self, code: str) -> None:
        """Type the one-time code."""
        self.code.fill(code)

    def tick_captcha(self) -> None:
        """Tick 「我不是機器人」 and wait until the widget has its answer."""
        self.captcha.check()
        expect(self.captcha_status).not_to_have_text("驗證中…")

    def submit_code(self, code: str) -> None:
        """Type `code`, tick 「我不是機器人」, press 「下一步」: one try, answered by the notice the portal sends."""
        alert = self.page.get_by_role("alert")
        before = alert.all_inner_texts()
        self.enter_code(code)
        self.tick_captcha()
        self.press("下一步")
        if before:
            expect(alert).not_to_have_text(before)  # the last try's notice gone: each try is answered anew
        expect(alert).to_be_visible()

    def press_next_and_leave_it(self) -> None:
        """Press 灰色[下一步] and turn away while the page is still loading (a slow answer): the click does not wait
        for the next page."""
        self.control("下一步").click(no_wait_after=True)

    def in_another_tab(self) -> VerifyContactPage:
        """This page opened in another tab of the same browser, at the address the address bar shows for it."""
        tab = self.page.context.new_page()
        tab.goto(history(self.page)[self.TITLE])
        return VerifyContactPage(tab).expect_shown()

    def resend_code(self) -> VerifyContactPage:
        """Press 「重新寄送驗證碼」 and wait until the page counts down again: the new code is out."""
        expect(self.countdown).to_have_text("")
        self.resend.click()
        expect(self.countdown).to_contain_text("秒後可重新寄送")
        return self

    def resend_code_and_leave_it(self) -> None:
        """Press 「重新寄送驗證碼」 and turn away while the page is still loading (a slow mail server): the click does
        not wait for the next page."""
        expect(self.countdown).to_have_text("")
        self.resend.click(no_wait_after=True)

    def open_challenge(self) -> None:
        """Tick 「我不是機器人」 when it answers with an image of digits to type."""
        self.captcha.check()
        expect(self.challenge_answer).to_be_visible()

    def solve_challenge(self, answer: str) -> None:
        """Type the digits of the image challenge and confirm."""
        self.challenge_answer.fill(answer)
        self.page.get_by_role("button", name="驗證", exact=True).click()
        expect(self.captcha_status).to_have_text("驗證成功")


class BasicDataPage(Screen):
    """基本資料 (step 7): typed by hand, or pulled with [取回網路市民資料]."""

    TITLE = "基本資料"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.name = page.get_by_label("姓名", exact=True)
        self.id_number = page.get_by_label("身分證字號", exact=True)
        self.birth_date = page.get_by_label("出生日期", exact=True)
        self.address = page.get_by_label("地址", exact=True)
        self.sex = {sex: page.get_by_role("radio", name=sex.value, exact=True) for sex in Sex}

    def fill(self, citizen: CitizenProfile, *, id_number: str | None = None) -> None:
        """Type the citizen's basic data (optionally another ID number)."""
        self.name.fill(citizen.name)
        self.id_number.fill(citizen.id_number if id_number is None else id_number)
        self.birth_date.fill(citizen.birth_date.isoformat())
        self.sex[citizen.sex].check()
        self.address.fill(citizen.address)

    def fill_and_continue(self, citizen: CitizenProfile) -> SetPasswordPage:
        """Type the citizen's basic data and press [下一步]."""
        self.fill(citizen)
        self.press("下一步")
        return SetPasswordPage(self.page).expect_shown()


class SetPasswordPage(Screen):
    """設定密碼 (step 8): the rules listed, each met or unmet as the citizen types; then [註冊]."""

    TITLE = "設定密碼"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.password = page.get_by_label("密碼", exact=True)
        self.confirm = page.get_by_label("確認密碼", exact=True)
        self.rules = page.get_by_role("list", name="密碼規則")

    def set_password(self, password: str) -> None:
        """Type the password twice."""
        self.enter_secret(self.password, password)
        self.enter_secret(self.confirm, password)

    def rule(self, label: str) -> Locator:
        """The rule line that starts with `label`."""
        return self.rules.get_by_role("listitem").filter(has_text=label)


class RegistrationDonePage(Screen):
    """註冊完成 (step 9): 是否繼續進行金質會員認證？ [是] / [否]."""

    TITLE = "註冊完成"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.question = page.get_by_role("dialog", name="是否繼續進行金質會員認證？")


class MemberHomePage(Screen):
    """會員專區: the member's status at the top left (未實名 / 已實名), card services on the right."""

    TITLE = "會員專區"

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.services = page.get_by_role("list", name="卡證服務清單")
