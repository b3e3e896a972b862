"""Steps of documented steps 10–24: the agent, the card, real-name verification, the account and 已實名."""

from __future__ import annotations

import re

from playwright.sync_api import APIResponse, Page, expect
from pytest_bdd import given, parsers, then, when

from domain.card import card_holder
from domain.citizen import CitizenProfile
from harness.citizens import card_services, someone_else, wrong_pin
from harness.codes import CodeReader
from harness.profile import PortalProfile
from pages.agent import InstallerWizard, TrayIcon
from pages.base import Screen
from pages.flows import Arrival, log_in_page, member_home_page, verify_real_name
from pages.gold import CardVerificationPage, GoldVerificationPage, LoginPage, VerifiedPage
from pages.register import MemberHomePage
from simulators.agent import AgentClient, AgentFault
from simulators.card import CardClient, CardFault, RevocationFault
from simulators.client import SimulatorClient
from simulators.registry import Holding, RegistryClient, RegistryFault

APP_PAGE = "https://id.taipei/tpcd/about/taipeipass-app"  # the app's page (docs/protocols/taipeipass.md#the-flow)
LINUX_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
# The Gherkin's words for a browser → the User-Agent it sends (step 10: Windows 7 or later, IE or Chrome only).
BROWSERS = {
    "不是 Windows 上的 IE 或 Chrome 的瀏覽器": LINUX_FIREFOX,
    "Windows 10 上的 Firefox": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
    "Windows XP 上的 Chrome": "Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112"
    " Safari/537.36",
    "Windows 10 上的 IE 11": "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
}
QUOTED_LABELS = re.compile(r"「(.+?)」")  # 「執行」、「確認」、「是」 → the labels, in order
# The Gherkin's words for what is wrong with the citizen's card → the card simulator's fault.
CARD_FAULTS = {
    "已被廢止": CardFault.REVOKED,
    "已過期": CardFault.EXPIRED,
    "會在簽章時被拔出": CardFault.REMOVED_DURING_SIGNING,
}
# The Gherkin's words for how the CA's OCSP delegate names itself, and for each lie an OCSP answer can tell (RFC 6960
# terms in simulators/card/faults.py): every lie says "good" however the card stands.
OCSP_DELEGATES = {
    "名稱": RevocationFault.DELEGATED_BY_NAME,
    "金鑰雜湊": RevocationFault.DELEGATED_BY_KEY,
    "別的金鑰雜湊": RevocationFault.DELEGATED_MISNAMED,
}
OCSP_LIES = {
    "別的金鑰冒充憑證管理中心簽署的答覆": RevocationFault.GOOD_SIGNED_BY_STRANGER,
    "沒有 OCSP 簽署用途的憑證簽署的答覆": RevocationFault.GOOD_BY_DELEGATE_WITHOUT_OCSP_SIGNING,
    "冒用憑證管理中心名稱者授權的簽發者簽署的答覆": RevocationFault.GOOD_BY_IMPOSTOR_DELEGATE,
    "以 Ed25519 冒充憑證管理中心簽署的答覆": RevocationFault.GOOD_ED25519,
    "已過期的舊答覆": RevocationFault.GOOD_REPLAYED,
    "附上別的 nonce 的答覆": RevocationFault.GOOD_OTHER_NONCE,
    "關於另一張憑證的答覆": RevocationFault.GOOD_OTHER_SERIAL,
    "關於另一個發證者的憑證的答覆": RevocationFault.GOOD_OTHER_ISSUER,
    "簽發時間在未來的答覆": RevocationFault.GOOD_FROM_FUTURE,
}
# The Gherkin's words for each CRL a relying party must not trust (RFC 5280 §6.3.3), each listing nothing revoked.
UNTRUSTED_CRLS = {
    "別的金鑰冒充憑證管理中心簽署的 CRL": RevocationFault.CRL_SIGNED_BY_STRANGER,
    "別的發證者名稱的 CRL": RevocationFault.CRL_OTHER_ISSUER,
    "已過期的舊 CRL": RevocationFault.CRL_STALE,
}
# The Gherkin's words for each answer of the registry outside its contract (docs/protocols/registry.md) → its fault.
MALFORMED_HOLDINGS = {
    "沒有卡證服務的清單": RegistryFault.SERVICES_NULL,
    "只有卡證服務的名稱": RegistryFault.ENTRY_AS_TEXT,
    "缺少核發局處": RegistryFault.DEPARTMENT_NULL,
    "以文字表示是否綁定": RegistryFault.BOUND_AS_TEXT,
}
ACCOUNT_NUMBER = re.compile(r"^TPC\d{7}$")  # the twin's account numbers: TPC and seven digits


@given("市民的電腦尚未安裝安控元件")
def _(agent: AgentClient) -> None:
    agent.uninstall()


@given("市民已完成會員註冊並選擇繼續金質會員認證", target_fixture="screen")
def _(arrive: Arrival, citizen: CitizenProfile, codes: CodeReader) -> GoldVerificationPage:
    return arrive.go_gold(citizen, codes.newest)


@when("市民改用不是 Windows 上的 IE 或 Chrome 的瀏覽器開啟這一頁")
def _(screen: GoldVerificationPage) -> None:
    screen.reopen_as(LINUX_FIREFOX)


@when(parsers.parse("市民改用{browser}直接開啟「下載安控元件」的網址"), target_fixture="fetched")
def _(screen: GoldVerificationPage, browser: str) -> APIResponse:
    return screen.fetch_installer(BROWSERS[browser])


@then("網站提供安控元件的安裝檔")
def _(fetched: APIResponse) -> None:
    assert fetched.ok, (fetched.status, fetched.headers)
    assert ".exe" in fetched.headers.get("content-disposition", ""), fetched.headers


@then(parsers.parse("網站不提供安控元件的安裝檔，並說明「{text}」"))
def _(fetched: APIResponse, text: str) -> None:
    assert fetched.status >= 400, (fetched.status, fetched.headers)
    assert text in fetched.text()


@then(parsers.parse("市民看到說明「{text}」"))
def _(screen: Screen, text: str) -> None:
    expect(screen.text(text)).to_be_visible()


@when("市民按下「下載安控元件」並執行下載的安裝檔", target_fixture="installer")
def _(page: Page, screen: GoldVerificationPage, agent: AgentClient) -> InstallerWizard:
    assert screen.download_agent().suggested_filename.endswith(".exe")
    return InstallerWizard.run(page, agent.installer_url).expect_screen("開啟檔案 - 安全性警告")


@when(parsers.parse("市民在安全性警告依序按下{labels}"), converters={"labels": QUOTED_LABELS.findall})
def _(installer: InstallerWizard, labels: list[str]) -> None:
    installer.press_in_turn(labels)


@when(parsers.parse("市民在「{title}」畫面按下「{label}」"))
def _(installer: InstallerWizard, title: str, label: str) -> None:
    installer.expect_screen(title).press(label)


@when("市民接受授權協議並按下「下一步」")
def _(installer: InstallerWizard) -> None:
    installer.expect_screen("授權協議").accept_licence()
    installer.press("下一步")


@then(parsers.parse("右下角的安控元件顯示「{state}」"), target_fixture="tray")
def _(page: Page, agent: AgentClient, state: str) -> TrayIcon:
    tray = TrayIcon.look(page, agent.tray_url)
    tray.expect_state(state)
    return tray


@then(parsers.parse("右下角的安控元件接著顯示「{state}」"))
def _(tray: TrayIcon, state: str) -> None:
    tray.expect_state(state)


@when("市民按下 F5 重新整理網頁")
def _(screen: Screen) -> None:
    screen.reload()


@then(parsers.parse("頁面顯示安控元件狀態「{text}」"))
def _(screen: GoldVerificationPage, text: str) -> None:
    expect(screen.agent_status).to_contain_text(text)


# The reader notices a card at its next poll while the citizen goes on; the agent waits for it before it reads.
@given("市民已將自然人憑證插入讀卡機")
def _(card: CardClient, citizen: CitizenProfile) -> None:
    card.insert(card_holder(citizen), wait=False)


@given("讀卡機中插著別人的自然人憑證")
def _(card: CardClient, citizen: CitizenProfile) -> None:
    card.insert(card_holder(someone_else(citizen)), wait=False)


@given("讀卡機中沒有自然人憑證")
def _(card: CardClient) -> None:
    card.remove(wait=False)


@given("讀卡機沒有接上電腦")
def _(agent: AgentClient) -> None:
    agent.arm(AgentFault.NO_READER, times=None)


@given(parsers.parse("市民的自然人憑證{fault}"))
def _(card: CardClient, fault: str) -> None:
    card.arm(CARD_FAULTS[fault], wait=False)


@given("憑證的 OCSP 服務暫停，只能查 CRL")
def _(ocsp: SimulatorClient, card: CardClient) -> None:
    # RFC 6960 tryLater, for this card's certificate only: the responder answers, with no status
    ocsp.arm(RevocationFault.TRY_LATER, match=card.certificate_serial(), times=None)


@given(parsers.parse("憑證的 OCSP 由憑證管理中心授權的簽發者以{how}指名回覆，且 CRL 無法取得"))
def _(ocsp: SimulatorClient, card: CardClient, how: str) -> None:
    ocsp.arm(OCSP_DELEGATES[how], match=card.certificate_serial(), times=None)
    ocsp.arm(RevocationFault.CRL_HTTP_503, match=card.certificate_serial(), times=None)  # only OCSP can answer


@given("憑證的 OCSP 由憑證管理中心授權、持橢圓曲線金鑰的簽發者回覆，且 CRL 無法取得")
def _(ocsp: SimulatorClient, card: CardClient) -> None:
    # an authorized responder's true answer, signed ECDSA P-256: not MOICA's RSA, so the portal cannot take it
    ocsp.arm(RevocationFault.DELEGATED_EC, match=card.certificate_serial(), times=None)
    ocsp.arm(RevocationFault.CRL_HTTP_503, match=card.certificate_serial(), times=None)


@when("憑證的 OCSP 與 CRL 恢復正常")
def _(ocsp: SimulatorClient) -> None:
    ocsp.disarm_armed()


@given(parsers.parse("OCSP 的回覆被換成{lie}，說憑證有效"))
def _(ocsp: SimulatorClient, card: CardClient, lie: str) -> None:
    ocsp.arm(OCSP_LIES[lie], match=card.certificate_serial(), times=None)


@given(parsers.parse("OCSP 服務暫停，CRL 被換成{crl}，說沒有憑證被廢止"))
def _(ocsp: SimulatorClient, card: CardClient, crl: str) -> None:
    ocsp.arm(RevocationFault.TRY_LATER, match=card.certificate_serial(), times=None)
    ocsp.arm(UNTRUSTED_CRLS[crl], match=card.certificate_serial(), times=None)


@given("本網站不在安控元件的信任網站中")
def _(agent: AgentClient, portal_site: str) -> None:
    agent.distrust(portal_site)


@given("安控元件已停止執行")
@when("安控元件已停止執行")
def _(agent: AgentClient) -> None:
    agent.uninstall()


@when("市民前往步驟二", target_fixture="screen")
def _(screen: GoldVerificationPage) -> CardVerificationPage:
    return screen.go_to_step_two()


@when("市民輸入身分證字號並按下「送出」")
def _(screen: CardVerificationPage, citizen: CitizenProfile) -> None:
    screen.send_id_number(citizen.id_number)


@then("市民看到「PINCODE」輸入框")
def _(screen: CardVerificationPage) -> None:
    expect(screen.pin_box).to_be_visible()


@when("市民輸入 PIN 碼並按下「OK」")
def _(screen: CardVerificationPage, citizen: CitizenProfile) -> None:
    screen.enter_pin(citizen.pin)


@when("市民輸入錯誤的 PIN 碼並按下「OK」")
def _(screen: CardVerificationPage, citizen: CitizenProfile) -> None:
    screen.enter_pin(wrong_pin(citizen))


@when(parsers.parse("市民連續 {times:d} 次輸入錯誤的 PIN 碼"))
def _(screen: CardVerificationPage, citizen: CitizenProfile, times: int) -> None:
    for _ in range(times):
        screen.verify(citizen.id_number, wrong_pin(citizen))
        expect(screen.error).to_be_visible()


@when("市民按下「加入信任網站」並在安控元件的視窗按下「是」")
def _(screen: CardVerificationPage) -> None:
    screen.trust_this_site()


@then("市民仍是未實名的一般會員")
def _(page: Page, portal_profile: PortalProfile) -> None:
    expect(member_home_page(page, portal_profile.links).status).to_have_text("未實名")


@given("市民已完成實名認證", target_fixture="screen")
def _(arrive: Arrival, citizen: CitizenProfile, codes: CodeReader, card: CardClient) -> VerifiedPage:
    card.insert(card_holder(citizen), wait=False)  # in the reader while the citizen registers
    return verify_real_name(arrive.go_gold(citizen, codes.newest), citizen)


@given("市民曾在臺北市各局處申請過卡證服務")
def _(registry: RegistryClient, citizen: CitizenProfile) -> None:
    registry.set_holdings(citizen.id_number, card_services(citizen) or [Holding("圖書借閱證", card_number="1")])


@given("卡證服務系統暫停服務")
def _(registry: RegistryClient) -> None:
    registry.arm(RegistryFault.UNAVAILABLE, times=None)


@given(parsers.parse("卡證服務系統的回覆將{answer}"))
def _(registry: RegistryClient, answer: str) -> None:
    registry.arm(MALFORMED_HOLDINGS[answer], times=None)


@then("市民看到自己的帳號")
def _(screen: VerifiedPage) -> None:
    expect(screen.account).to_have_text(ACCOUNT_NUMBER)


@then("QR Code 可用手機掃描下載行動臺北卡APP")
def _(screen: VerifiedPage) -> None:
    assert screen.qr_texts() == [APP_PAGE]


@when("市民記下帳號後按下「登入臺北卡3.0網站」", target_fixture="account")
def _(screen: VerifiedPage) -> str:
    account = screen.account_number()
    screen.press("登入臺北卡3.0網站")
    return account


@when("市民以帳號和原來的密碼登入", target_fixture="screen")
def _(page: Page, citizen: CitizenProfile, account: str) -> MemberHomePage:
    return LoginPage(page).expect_shown().log_in(account, citizen.password)


@then("右邊沒有列出任何卡證服務")
def _(screen: MemberHomePage) -> None:
    expect(screen.services).to_have_count(0)


@then("右邊列出市民在各局處申請過的卡證服務")
def _(screen: MemberHomePage, registry: RegistryClient, citizen: CitizenProfile) -> None:
    for held in registry.services(citizen.id_number):
        expect(screen.services).to_contain_text(held.service)


@when("市民日後以身分證字號和密碼登入臺北卡網站", target_fixture="screen")
def _(page: Page, citizen: CitizenProfile, portal_profile: PortalProfile) -> MemberHomePage:
    return log_in_page(page, portal_profile.links).log_in(citizen.id_number, citizen.password)
