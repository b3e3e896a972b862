"""Steps of the @security scenarios: the 攻擊者 scripts HTTP against the portal's public pages; the citizen browses."""

from __future__ import annotations

import statistics

import pytest
from playwright.sync_api import Page
from pytest_bdd import given, parsers, then, when

from domain.citizen import Channel, CitizenProfile
from harness.codes import CodeReader
from harness.notices import wait_for_notice, without_code
from harness.profile import PortalProfile
from harness.twin import TwinClient
from pages.attacker import MALFORMED_ADDRESSES, MALFORMED_MOBILES, Attacker, Reply, Tab
from pages.flows import Arrival, log_in_page
from pages.gold import LoginPage
from pages.register import BasicDataPage, MemberHomePage, RegistrationDonePage
from pages.screens import SCREENS
from simulators.captcha.faults import ELSEWHERE_HOSTNAME
from simulators.mail import MailClient
from simulators.sms import SmsClient


def _wrong(citizen: CitizenProfile) -> str:
    return f"{citizen.password}x"


# contact verification (documented steps 4–6)
@given("攻擊者已以自己的手機通過驗證", target_fixture="attacker_tab")
def _(attacker: Attacker, codes: CodeReader) -> Tab:
    return attacker.verified_application(codes.newest)


@given("攻擊者已以自己的手機要求寄送驗證碼", target_fixture="attacker_tab")
def _(attacker: Attacker) -> Tab:
    tab = attacker.apply()
    attacker.request_code(tab, Channel.MOBILE, attacker.identity.mobile)
    return tab


@given("攻擊者已以市民的手機要求寄送驗證碼", target_fixture="attacker_tab")
def _(attacker: Attacker, citizen: CitizenProfile) -> Tab:
    tab = attacker.apply()
    attacker.request_code(tab, Channel.MOBILE, citizen.mobile)
    return tab


@when("攻擊者改以市民的手機要求寄送驗證碼")
def _(attacker: Attacker, attacker_tab: Tab, citizen: CitizenProfile) -> None:
    attacker.request_code(attacker_tab, Channel.MOBILE, citizen.mobile)


@then("攻擊者無法繼續填寫基本資料")
def _(attacker_tab: Tab) -> None:
    assert attacker_tab.open(BasicDataPage).title != BasicDataPage.TITLE


@when(parsers.parse("攻擊者同時送出 {count:d} 個猜測的驗證碼"), target_fixture="replies")
def _(attacker: Attacker, attacker_tab: Tab, count: int) -> list[Reply]:
    return attacker.guess_together(attacker_tab, attacker.guesses(count))


@then(parsers.parse("至多 {most:d} 個猜測得到「{text}」的回覆"))
def _(replies: list[Reply], most: int, text: str) -> None:
    compared = [reply.notices for reply in replies if reply.says(text)]
    assert len(compared) <= most, compared


@then("攻擊者即使猜中寄到市民手機的驗證碼也無法通過驗證")
def _(attacker: Attacker, attacker_tab: Tab, codes: CodeReader, citizen: CitizenProfile) -> None:
    reply = attacker.enter_code(attacker_tab, codes.newest(Channel.MOBILE, citizen.mobile))
    assert reply.title != BasicDataPage.TITLE, reply.notices


@when("攻擊者輸入收到的驗證碼，並附上在別的網站通過的「我不是機器人」驗證", target_fixture="replies")
def _(attacker: Attacker, attacker_tab: Tab, codes: CodeReader) -> list[Reply]:
    code = codes.newest(Channel.MOBILE, attacker.identity.mobile)
    return [attacker.enter_code(attacker_tab, code, solved_on=ELSEWHERE_HOSTNAME)]


# messages to one recipient (documented steps 4–5)
@when(parsers.parse("攻擊者同時從 {sessions:d} 個新的工作階段要求寄送驗證碼到市民的手機"), target_fixture="replies")
def _(attacker: Attacker, citizen: CitizenProfile, sessions: int) -> list[Reply]:
    return attacker.flood(Channel.MOBILE, citizen.mobile, sessions)


@when(
    parsers.parse("攻擊者每隔 {seconds:d} 秒從新的工作階段要求寄送驗證碼到市民的手機，共 {times:d} 次"),
    target_fixture="replies",
)
def _(attacker: Attacker, twin: TwinClient, citizen: CitizenProfile, seconds: int, times: int) -> list[Reply]:
    replies = []
    for _ in range(times):
        replies.append(attacker.request_code(attacker.apply(), Channel.MOBILE, citizen.mobile))
        twin.advance(seconds)
    return replies


@then(parsers.parse("市民的手機只收到 {count:d} 則簡訊"))
def _(sms: SmsClient, citizen: CitizenProfile, count: int) -> None:
    assert len(sms.messages(citizen.mobile)) == count


@then(parsers.parse("市民的手機至多收到 {count:d} 則簡訊"))
def _(sms: SmsClient, citizen: CitizenProfile, count: int) -> None:
    assert 1 <= len(sms.messages(citizen.mobile)) <= count


# login (documented step 24)
@given(parsers.parse("攻擊者以錯誤的密碼登入市民的帳號 {times:d} 次"), target_fixture="replies")
@when(parsers.parse("攻擊者以錯誤的密碼登入市民的帳號 {times:d} 次"), target_fixture="replies")
def _(attacker: Attacker, citizen: CitizenProfile, times: int) -> list[Reply]:
    return [attacker.log_in(citizen.id_number, _wrong(citizen)) for _ in range(times)]


@when("市民以身分證字號和正確的密碼登入", target_fixture="screen")
def _(page: Page, citizen: CitizenProfile, portal_profile: PortalProfile) -> LoginPage:
    screen = log_in_page(page, portal_profile.links)
    screen.try_log_in(citizen.id_number, citizen.password)
    return screen


@when(parsers.parse("攻擊者從同一個網路位址以同一個密碼嘗試登入 {count:d} 個不同的帳號"), target_fixture="replies")
def _(attacker: Attacker, count: int) -> list[Reply]:
    if not attacker.has_own_address:  # from the runner's own address it would lock this run's logins out too
        pytest.skip("needs an address of its own: run against a portal on loopback (the embedded twin)")
    return [attacker.log_in(account, "Password1") for account in attacker.unknown_accounts(count)]


@then(parsers.parse("攻擊者看到提示「{text}」"))
def _(replies: list[Reply], text: str) -> None:
    assert replies[-1].says(text), replies[-1].notices


# enumeration
@when("攻擊者要求寄送驗證碼到市民的手機，也寄到自己沒有註冊的手機", target_fixture="replies")
def _(attacker: Attacker, citizen: CitizenProfile) -> list[Reply]:
    mobiles = (citizen.mobile, attacker.identity.mobile)
    return [attacker.request_code(attacker.apply(), Channel.MOBILE, mobile) for mobile in mobiles]


@then("攻擊者看到的兩個回應除了號碼之外完全相同")
def _(replies: list[Reply], attacker: Attacker, citizen: CitizenProfile) -> None:
    assert replies[0].masked(citizen.mobile) == replies[1].masked(attacker.identity.mobile)


@when(parsers.parse("攻擊者以錯誤的密碼輪流登入市民的帳號與不存在的帳號，各 {times:d} 次"), target_fixture="pairs")
def _(attacker: Attacker, citizen: CitizenProfile, times: int) -> list[tuple[Reply, Reply]]:
    unknown = attacker.unknown_accounts(times)
    return [(attacker.log_in(citizen.id_number, _wrong(citizen)), attacker.log_in(u, _wrong(citizen))) for u in unknown]


# Medians of interleaved tries, compared by a generous ratio: load on the machine slows both kinds alike, and one
# slow try cannot move a median of nine. An unknown account answered without scrypt is ten times faster or more.
@then(parsers.parse("兩種帳號的回應時間中位數相差不到 {ratio:d} 倍"))
def _(pairs: list[tuple[Reply, Reply]], ratio: int) -> None:
    known, unknown = (statistics.median(pair[side].elapsed for pair in pairs) for side in (0, 1))
    assert max(known, unknown) < ratio * min(known, unknown), f"median known {known:.3f} s, unknown {unknown:.3f} s"


@then("兩種帳號得到相同的回覆")
def _(pairs: list[tuple[Reply, Reply]]) -> None:
    assert {(k.status, k.notices) for k, _ in pairs} == {(u.status, u.notices) for _, u in pairs}


# e-mail addresses
@when(parsers.parse("攻擊者在市民的電子郵件地址夾帶{way}後要求寄送驗證碼"), target_fixture="replies")
def _(attacker: Attacker, citizen: CitizenProfile, way: str) -> list[Reply]:
    typed = MALFORMED_ADDRESSES[way](citizen.email, attacker.identity.email)
    return [attacker.request_code(attacker.apply(), Channel.EMAIL, typed)]


@then("市民和攻擊者的信箱都沒有收到郵件")
def _(mail: MailClient, citizen: CitizenProfile, attacker: Attacker) -> None:
    assert mail.messages(citizen.email) == []
    assert mail.messages(attacker.identity.email) == []


@when(
    "攻擊者要求寄送驗證碼到市民的電子郵件，隨即從新的工作階段以改成大寫的同一地址再要求一次",
    target_fixture="replies",
)
def _(attacker: Attacker, citizen: CitizenProfile) -> list[Reply]:
    addresses = (citizen.email, citizen.email.upper())
    return [attacker.request_code(attacker.apply(), Channel.EMAIL, address) for address in addresses]


@then(parsers.parse("市民的信箱只收到 {count:d} 封郵件"))
def _(mail: MailClient, citizen: CitizenProfile, count: int) -> None:
    mail.wait_for_message(citizen.email, timeout=30)  # the first is in: no race with its delivery
    assert len(mail.messages(citizen.email)) == count


# mobile numbers
@when(parsers.parse("攻擊者把市民的手機號碼{way}後要求寄送驗證碼"), target_fixture="replies")
def _(attacker: Attacker, citizen: CitizenProfile, way: str) -> list[Reply]:
    typed = MALFORMED_MOBILES[way](citizen.mobile, attacker.identity.mobile)
    return [attacker.request_code(attacker.apply(), Channel.MOBILE, typed)]


@then("市民和攻擊者的手機都沒有收到簡訊")
def _(sms: SmsClient, citizen: CitizenProfile, attacker: Attacker) -> None:
    mobiles = (citizen.mobile, attacker.identity.mobile)  # each as the gateway files it: 09…, or 8869… from +886
    assert [m for mobile in mobiles for m in sms.messages(mobile) + sms.messages(f"886{mobile[1:]}")] == []


@given("市民已以電子郵件完成會員註冊", target_fixture="screen")
def _(arrive: Arrival, citizen: CitizenProfile, codes: CodeReader) -> RegistrationDonePage:
    return arrive.register(citizen, codes.newest, Channel.EMAIL)


@when("攻擊者以改成大寫的市民電子郵件地址要求寄送驗證碼")
def _(attacker: Attacker, citizen: CitizenProfile) -> None:
    attacker.request_code(attacker.apply(), Channel.EMAIL, citizen.email.upper())


@then(parsers.parse("市民的手機收到不含驗證碼的簡訊「{text}」"))
def _(sms: SmsClient, mail: MailClient, citizen: CitizenProfile, text: str) -> None:
    notice = wait_for_notice(sms, mail, Channel.MOBILE, citizen.mobile, containing=text)
    assert without_code(notice), notice


@then(parsers.parse("市民的信箱收到不含驗證碼的郵件「{text}」"))
def _(sms: SmsClient, mail: MailClient, citizen: CitizenProfile, text: str) -> None:
    notice = wait_for_notice(sms, mail, Channel.EMAIL, citizen.email, containing=text)
    assert without_code(notice), notice


# sessions copied off the citizen's computer
@given("市民已完成會員註冊並進入會員專區", target_fixture="screen")
def _(arrive: Arrival, citizen: CitizenProfile, codes: CodeReader) -> MemberHomePage:
    return arrive.member_home(citizen, codes.newest)


@given("攻擊者複製了市民瀏覽器的工作階段", target_fixture="stolen")
def _(attacker: Attacker, page: Page) -> Tab:
    return attacker.copy_session(page)


@given(parsers.parse("攻擊者以複製的工作階段可以進入「{title}」"))
def _(stolen: Tab, title: str) -> None:
    assert stolen.open(SCREENS[title]).title == title


@then(parsers.parse("攻擊者以複製的工作階段無法進入「{title}」"))
def _(stolen: Tab, title: str) -> None:
    assert stolen.open(SCREENS[title]).title != title


@given("攻擊者以複製的工作階段讀得到市民的基本資料")
def _(stolen: Tab, citizen: CitizenProfile) -> None:
    assert stolen.open(BasicDataPage).shown(citizen.id_number)


@then("攻擊者以複製的工作階段讀不到市民的基本資料")
def _(attacker: Attacker, stolen: Tab, citizen: CitizenProfile) -> None:
    personal = (citizen.name, citizen.id_number, citizen.address)
    leaks = [
        (reply.title, data) for reply in attacker.read_everything(stolen) for data in personal if reply.shown(data)
    ]
    assert not leaks, leaks


# each login, and the login page itself, ends the browser's earlier session (documented step 24)
LOGIN_TABS = {"一": 0, "二": 1}


@when("家人在市民的電腦上從首頁開啟登入頁面", target_fixture="screen")
def _(page: Page, portal_profile: PortalProfile) -> LoginPage:
    return log_in_page(page, portal_profile.links)


@given("市民在兩個分頁開啟登入頁面", target_fixture="login_tabs")
def _(page: Page, portal_profile: PortalProfile) -> list[LoginPage]:
    first = log_in_page(page, portal_profile.links)
    return [first, first.in_another_tab()]


@given(parsers.parse("市民在第{which}個分頁以身分證字號和密碼登入"), target_fixture="screen")
@when(parsers.parse("市民在第{which}個分頁以身分證字號和密碼登入"), target_fixture="screen")
def _(login_tabs: list[LoginPage], citizen: CitizenProfile, which: str) -> MemberHomePage:
    return login_tabs[LOGIN_TABS[which]].log_in(citizen.id_number, citizen.password)
