"""Steps of documented steps 4–6: receiving a one-time code and passing 「我不是機器人」."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect
from pytest_bdd import given, parsers, then, when

from domain.citizen import Channel, CitizenProfile
from harness.codes import CodeReader, wrong_code
from harness.twin import TwinClient
from pages.flows import Arrival, consent, verify_as_typed
from pages.register import BasicDataPage, VerifyContactPage
from simulators.captcha import CaptchaClient, CaptchaFault, CaptchaMode
from simulators.mail import MailClient, MailFault
from simulators.sms import SmsClient, SmsFault

# 手機 / 電子郵件 in the Gherkin → the Channel they name
CHANNEL: dict[str, Callable[[str], object]] = {"channel": Channel}
# The Gherkin's words for an answer of siteverify outside Google's shape → its fault (simulators/captcha/faults.py)
MALFORMED_VERDICTS = {
    "以文字「true」表示通過": CaptchaFault.SUCCESS_TEXT_TRUE,
    "以文字「false」表示不通過": CaptchaFault.SUCCESS_TEXT_FALSE,
    "是一個陣列而不是物件": CaptchaFault.ARRAY_BODY,
}


@given("市民已同意個資使用相關內容", target_fixture="screen")
def _(arrive: Arrival) -> VerifyContactPage:
    return arrive.consent()


@given(parsers.parse("市民已以{channel}收到驗證碼"), target_fixture="screen", converters=CHANNEL)
def _(screen: VerifyContactPage, citizen: CitizenProfile, channel: Channel) -> VerifyContactPage:
    screen.send_code(channel, channel.of(citizen))
    return screen.expect_code_sent()


@given("市民已以電子郵件通過驗證，輸入地址時第一個字母被改成大寫", target_fixture="screen")
def _(screen: VerifyContactPage, citizen: CitizenProfile, codes: CodeReader) -> BasicDataPage:
    return verify_as_typed(screen, citizen, Channel.EMAIL, citizen.email.capitalize(), codes.newest)


@when("市民回到首頁重新申請金質會員", target_fixture="screen")
def _(page: Page) -> VerifyContactPage:
    return consent(page)


@then("市民不必等候，驗證碼立刻寄出")
def _(screen: VerifyContactPage) -> None:
    assert screen.refusal_after_send() == "", "the portal sent no code"


@when(parsers.parse("市民選擇以{channel}接收驗證碼並按下「寄送驗證碼簡訊」"), converters=CHANNEL)
def _(screen: VerifyContactPage, citizen: CitizenProfile, channel: Channel) -> None:
    screen.send_code(channel, channel.of(citizen))


@when(parsers.parse("市民輸入{channel}收到的驗證碼"), converters=CHANNEL)
def _(screen: VerifyContactPage, codes: CodeReader, citizen: CitizenProfile, channel: Channel) -> None:
    screen.enter_code(codes.newest(channel, channel.of(citizen)))


@when("市民輸入錯誤的驗證碼")
def _(screen: VerifyContactPage, codes: CodeReader, citizen: CitizenProfile) -> None:
    screen.enter_code(wrong_code(codes.newest(Channel.MOBILE, citizen.mobile)))


@when(parsers.parse("市民連續 {times:d} 次輸入錯誤的驗證碼、勾選「我不是機器人」並按下「下一步」"))
def _(screen: VerifyContactPage, codes: CodeReader, citizen: CitizenProfile, times: int) -> None:
    wrong = wrong_code(codes.newest(Channel.MOBILE, citizen.mobile))
    for _ in range(times):
        screen.submit_code(wrong)


@when("市民改為輸入簡訊中的驗證碼")
@when("市民再輸入一次簡訊中的驗證碼")
def _(screen: VerifyContactPage, codes: CodeReader) -> None:
    screen.enter_code(codes.last())


@when("市民勾選「我不是機器人」")
def _(screen: VerifyContactPage) -> None:
    screen.tick_captcha()


@when("市民勾選「我不是機器人」並輸入圖中的數字")
def _(screen: VerifyContactPage, captcha: CaptchaClient) -> None:
    screen.open_challenge()
    screen.solve_challenge(captcha.challenge_answer())


@when(parsers.parse("過了 {minutes:d} 分鐘"))
def _(twin: TwinClient, minutes: int) -> None:
    twin.advance(minutes * 60)


@when(parsers.parse("過了 {seconds:d} 秒後市民重新整理頁面"))
def _(twin: TwinClient, screen: VerifyContactPage, seconds: int) -> None:
    twin.advance(seconds)
    screen.reload()


@given("市民在另一個分頁開啟同一個頁面，接著在那個分頁操作", target_fixture="screen")
def _(screen: VerifyContactPage) -> VerifyContactPage:
    return screen.in_another_tab()


@when("市民按下「下一步」，網站仍在確認「我不是機器人」")
def _(screen: VerifyContactPage, captcha: CaptchaClient) -> None:
    screen.press_next_and_leave_it()
    captcha.wait_held()


@when(parsers.parse("過了 {seconds:d} 秒後市民在第一個分頁按下「重新寄送驗證碼」"))
def _(twin: TwinClient, page: Page, seconds: int) -> None:
    twin.advance(seconds)
    VerifyContactPage(page).reload().resend_code()


@when(
    parsers.parse("過了 {seconds:d} 秒後市民在第三個分頁按下「重新寄送驗證碼」，郵件伺服器仍未回覆"),
    target_fixture="third_tab",
)
def _(twin: TwinClient, screen: VerifyContactPage, mail: MailClient, seconds: int) -> VerifyContactPage:
    twin.advance(seconds)
    tab = screen.in_another_tab()  # not the first tab: each step's report reads that one, which must not be loading
    tab.resend_code_and_leave_it()
    mail.wait_held()  # the new code is stored and its mail is on its way: held
    return tab


@given("郵件伺服器會拖住下一封信，最後暫時拒收")
def _(mail: MailClient) -> None:
    mail.arm(MailFault.HELD)


@when("郵件伺服器終於回覆暫時拒收，第三個分頁說明寄送失敗")
def _(mail: MailClient, third_tab: VerifyContactPage) -> None:
    assert mail.release() == 1
    expect(third_tab.message("郵件伺服器暫時無法寄送")).to_be_visible()


@given("「我不是機器人」驗證回應很慢")
def _(captcha: CaptchaClient) -> None:
    captcha.arm(CaptchaFault.HELD)


@when("「我不是機器人」驗證終於回應")
def _(captcha: CaptchaClient) -> None:
    assert captcha.release() == 1


@then(parsers.parse("市民看到倒數「{text}」"))
def _(screen: VerifyContactPage, text: str) -> None:
    expect(screen.countdown).to_contain_text(text)


@given("「我不是機器人」驗證將不通過")
def _(captcha: CaptchaClient) -> None:
    captcha.arm(CaptchaFault.REJECTED)


@given("「我不是機器人」要求圖片驗證")
def _(captcha: CaptchaClient) -> None:
    captcha.set_mode(CaptchaMode.CHALLENGE)


@given("簡訊服務商將回應帳務處理失敗")
def _(sms: SmsClient) -> None:
    sms.arm(SmsFault.NO_POINTS)


@given("簡訊服務商的系統暫時故障")
def _(sms: SmsClient) -> None:
    sms.arm(SmsFault.HTTP_500)


@given("郵件伺服器將暫時拒收")
def _(mail: MailClient) -> None:
    mail.arm(MailFault.TRY_LATER)


@then(parsers.parse("{channel}欄位仍是市民填的內容"), converters=CHANNEL)
def _(screen: VerifyContactPage, citizen: CitizenProfile, channel: Channel) -> None:
    expect(screen.addresses[channel]).to_have_value(channel.of(citizen))


@given("「我不是機器人」驗證服務暫時無法使用")
def _(captcha: CaptchaClient) -> None:
    captcha.arm(CaptchaFault.VERIFY_DOWN)


@given(parsers.parse("「我不是機器人」驗證服務的回覆將{answer}"))
def _(captcha: CaptchaClient, answer: str) -> None:
    captcha.arm(MALFORMED_VERDICTS[answer])
