"""Steps of the real-name attacks (documented steps 20–23): a hostile 安控元件 on the citizen's computer, a script
posting the evidence itself, and two citizens where the rule is about two people."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlparse

from playwright.sync_api import Page
from pytest_bdd import given, parsers, then, when

from domain.card import card_holder
from domain.citizen import CitizenProfile
from harness.citizens import mistype_last_digit, same_last_four, someone_else
from harness.codes import CodeReader
from harness.settings import Settings
from pages.attacker import Attacker, CardScript, Evidence, Tab, Verdict, become_member, tampered
from pages.gold import CardVerificationPage, GoldVerificationPage, VerifiedPage
from simulators.agent import AgentClient, AgentFault, Lie
from simulators.card import CardClient

# The Gherkin's words for what the hostile 安控元件 answers → its lie (simulators/agent/faults.py).
LIES = {
    "對其他內容的簽章": Lie.SIGNATURE_OVER_OTHER_TBS,
    "不是憑證金鑰的簽章": Lie.SIGNATURE_BY_OTHER_KEY,
    "別人的有效憑證": Lie.OTHER_CITIZENS_CERTIFICATE,
    "已過期的憑證": Lie.EXPIRED_CERTIFICATE,
    "尚未生效的憑證": Lie.NOT_YET_VALID_CERTIFICATE,
    "已被廢止的憑證": Lie.REVOKED_CERTIFICATE,
    "冒用內政部憑證管理中心名稱的憑證": Lie.IMPOSTOR_CA_CERTIFICATE,
    "橢圓曲線金鑰的憑證": Lie.EC_KEY_CERTIFICATE,
    "其他憑證管理中心核發的憑證": Lie.OTHER_CA_CERTIFICATE,
    "上一次的簽章": Lie.REPLAYED_ANSWER,
}


# a hostile 安控元件, through the page
@given(parsers.parse("市民電腦上的安控元件會送回{lie}"))
@when(parsers.parse("市民電腦上的安控元件改為送回{lie}"))
def _(agent: AgentClient, lie: str) -> None:
    agent.arm(LIES[lie])


@when("市民輸入打錯檢查碼的身分證字號並按下「送出」")
def _(screen: CardVerificationPage, citizen: CitizenProfile) -> None:
    screen.send_id_number(mistype_last_digit(citizen.id_number))


@when("市民輸入那人的身分證字號並按下「送出」")
def _(screen: CardVerificationPage, citizen: CitizenProfile) -> None:
    screen.send_id_number(someone_else(citizen).id_number)


@when("市民將自己的自然人憑證插入讀卡機")
def _(card: CardClient, citizen: CitizenProfile) -> None:
    card.insert(card_holder(citizen), wait=False)


@then("市民之後依正常步驟仍可完成實名驗證")
def _(page: Page, citizen: CitizenProfile) -> None:
    GoldVerificationPage.revisit(page).go_to_step_two().verify(citizen.id_number, citizen.pin)
    VerifiedPage(page).expect_shown()


# two citizens
@given("身分證字號末四碼與市民相同的另一位會員，已以自己的自然人憑證完成實名認證")
def _(card: CardClient, citizen: CitizenProfile, attacker: Attacker, script: CardScript, codes: CodeReader) -> None:
    other = same_last_four(citizen)
    card.insert(card_holder(other), wait=False)
    verdict = _member_script(attacker, other, script, codes).verify(other.id_number)
    assert verdict.next, verdict


@given("另一位會員已在自己的帳號取得 nonce", target_fixture="evidence")
def _(citizen: CitizenProfile, attacker: Attacker, script: CardScript, codes: CodeReader) -> Evidence:
    nonce = _member_script(attacker, same_last_four(citizen), script, codes).nonce()
    return script.sign(nonce, citizen.id_number)


def _member_script(attacker: Attacker, person: CitizenProfile, script: CardScript, codes: CodeReader) -> CardScript:
    """`person` registered as a member in a session of their own, and a script of 步驟二 in that session."""
    tab = attacker.tab()
    become_member(tab, person, codes.newest, _hostname(tab))
    tab.seen.setdefault(CardVerificationPage.TITLE, script.page)  # the same portal's 步驟二, where any member finds it
    return CardScript(tab, script.agent_url, person.pin, addresses=script.addresses)


def _hostname(tab: Tab) -> str:
    return urlparse(tab.portal_url).hostname or ""


# the evidence posted by a script on the citizen's computer, in the citizen's session
@when("市民以程式取得 nonce 並以自然人憑證簽章，送出時附上打錯檢查碼的身分證字號", target_fixture="evidence")
def _(script: CardScript, citizen: CitizenProfile) -> Evidence:
    evidence = script.sign(script.nonce(), mistype_last_digit(citizen.id_number))
    assert script.send(evidence).error, "the portal took a mistyped ID number"
    return evidence


@when("市民以程式再送出同一份簽章，附上正確的身分證字號", target_fixture="verdict")
def _(script: CardScript, evidence: Evidence, citizen: CitizenProfile) -> Verdict:
    return script.send(replace(evidence, id_number=citizen.id_number))


@when("市民以程式用自然人憑證簽下那個 nonce，並以自己的帳號送出", target_fixture="verdict")
def _(script: CardScript, evidence: Evidence) -> Verdict:
    return script.send(evidence)


@when("市民以程式送出簽章，附上竄改過的憑證", target_fixture="verdict")
def _(script: CardScript, citizen: CitizenProfile) -> Verdict:
    evidence = script.sign(script.nonce(), citizen.id_number)
    return script.send(replace(evidence, certb64=tampered(evidence.certb64)))


@when("市民以程式送出簽章，並在簽章後把身分證字號改成另一位市民的", target_fixture="verdict")
def _(script: CardScript, citizen: CitizenProfile) -> Verdict:
    evidence = script.sign(script.nonce(), citizen.id_number)
    return script.send(replace(evidence, id_number=same_last_four(citizen).id_number))


@when("市民電腦上的安控元件等到 nonce 逾時後才送回正確的簽章", target_fixture="verdict")
def _(agent: AgentClient, script: CardScript, citizen: CitizenProfile, tpcd_settings: Settings) -> Verdict:
    agent.arm(AgentFault.SLOW, seconds=tpcd_settings.pace.nonce_lifetime + 2)  # the answer leaves the agent late
    return script.verify(citizen.id_number)


@then(parsers.parse("網站回覆「{text}」"))
def _(verdict: Verdict, text: str) -> None:
    assert verdict.status >= 400, verdict
    assert text in verdict.error, verdict
