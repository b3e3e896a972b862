"""What the portal's own page does with the agent, in Chromium: detection, signing through /popupForm, the trusted-site
flow, and what the citizen reads when the card is pulled out, the reader unplugged, the certificate expired or revoked.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from harness.certify.suite.kit import Agent, Card, Portal, card_seen, codes, verifies
from harness.certify.suite.portal import GoldPages
from simulators.card import CardFault
from simulators.client import wait_until

CARD_MISSING = "請將自然人憑證插入讀卡機"  # page/agent.js for 0x76000006
READER_MISSING = "找不到讀卡機"  # for 0x76100003
EXPIRED = "已過期"  # for 0x76500002, and the relying party's own check (harness/certify/oracle.py)
REVOKED = "已被廢止或停用"  # the relying party's OCSP check (harness/certify/oracle.py)
UNTRUSTED_SITE = "信任網站"  # agent.js for 0x76000031: 「本網站尚未加入安控元件的信任網站…」


def trusted_portal(agent: Agent, portal: Portal, page: Page) -> None:
    """The portal's site on the agent's trusted list, as after the citizen trusted it once on the agent's own page."""
    if agent.trusts(portal.url):
        return
    agent.may_trust(portal.url)
    page.goto(f"{agent.url}/addDomain?domain=127.0.0.1")
    page.get_by_role("button", name="是").click()
    wait_until(lambda: agent.trusts(portal.url) or None, timeout=15, what="the portal's site never became trusted")


@pytest.mark.requirement("AG-14")
def test_popup_form_from_the_portals_origin(agent: Agent, portal: Portal, page: Page, note: Any) -> None:
    trusted_portal(agent, portal, page)
    assert agent.pin is not None
    outcome = portal.pages.submit(portal.id_number, agent.pin)
    assert outcome.verified, f"the portal's page said: {outcome.message}"
    assert outcome.popup_closed, "the /popupForm window stayed open after answering"
    note(f"{portal.url}/gold/verify → 實名認證成功; the popup closed")


@pytest.mark.requirement("AG-15")
def test_trusted_site_flow(agent: Agent, portal: Portal, page: Page, fresh_site: str, note: Any) -> None:
    pages = GoldPages(page, fresh_site)
    refused = pages.submit(portal.id_number, agent.pin or "")
    assert UNTRUSTED_SITE in refused.message, f"a site never trusted was not offered the trust flow: {refused}"
    agent.may_trust(fresh_site)
    said = pages.trust_site()
    assert "已加入信任網站" in said, f"after [是] the portal's page said: {said}"
    assert agent.trusts(fresh_site), "the site is still refused after [是]"
    note(f"{fresh_site}: 「{refused.message}」, [是], 「{said}」")


@pytest.mark.requirement("AG-21")
def test_detection_as_the_portal_does_it(portal: Portal, note: Any) -> None:
    said = portal.pages.detection()
    assert "安控元件已啟動" in said, f"the portal's page said: {said}"
    note(f"{portal.url}/gold: 「{said}」")


@pytest.mark.requirement("AG-22")
def test_card_pulled_out_mid_signature(agent: Agent, card: Card, portal: Portal, page: Page, note: Any) -> None:
    trusted_portal(agent, portal, page)
    card.arm(CardFault.REMOVED_DURING_SIGNING)
    assert codes(agent.sign())[0] == 0x76000006, "a card pulled out mid-signature did not answer 0x76000006"
    card.insert()
    card.arm(CardFault.REMOVED_DURING_SIGNING)
    assert agent.pin is not None
    outcome = portal.pages.submit(portal.id_number, agent.pin)
    assert CARD_MISSING in outcome.message, f"the portal's page said: {outcome.message or '實名認證成功'}"
    card.insert()
    card_seen(agent)  # a reader on another machine reports the card on its own time: sign once the agent lists it
    assert codes(agent.sign())[0] == 0, "the agent did not sign again once the card was back"
    note(f"0x76000006; the page: 「{outcome.message}」; signs again after re-insertion")


@pytest.mark.requirement("AG-23")
def test_reader_unplugged(agent: Agent, card: Card, portal: Portal, page: Page, note: Any) -> None:
    trusted_portal(agent, portal, page)
    if not card.plug(False):
        pytest.skip("the control surface cannot unplug this reader (it is on another machine, or shared)")
    listed = agent.json("/pkcs11info")["slots"]
    assert not listed, f"an unplugged reader is still listed: {listed}"
    assert codes(agent.sign())[0] == 0x76100003, "no reader, and /sign did not answer 0x76100003"
    assert agent.pin is not None
    outcome = portal.pages.submit(portal.id_number, agent.pin)
    assert READER_MISSING in outcome.message, f"the portal's page said: {outcome.message or '實名認證成功'}"
    card.plug(True)
    assert codes(agent.sign())[0] == 0, "the agent did not sign again once the reader was back"
    note(f"slots []; 0x76100003; the page: 「{outcome.message}」; signs again after plugging back")


@pytest.mark.requirement("AG-24")
def test_expired_certificate(agent: Agent, card: Card, portal: Portal, page: Page, note: Any) -> None:
    trusted_portal(agent, portal, page)
    card.arm(CardFault.EXPIRED)
    assert codes(agent.sign())[0] == 0x76500002, "an expired certificate did not answer 0x76500002"
    assert agent.pin is not None
    outcome = portal.pages.submit(portal.id_number, agent.pin)
    assert EXPIRED in outcome.message, f"the portal's page said: {outcome.message or '實名認證成功'}"
    note(f"0x76500002; the page: 「{outcome.message}」")


@pytest.mark.requirement("AG-25")
def test_revoked_certificate(agent: Agent, card: Card, portal: Portal, page: Page, note: Any) -> None:
    trusted_portal(agent, portal, page)
    card.arm(CardFault.REVOKED)
    body = agent.sign(tbs="revoked")
    assert codes(body)[0] == 0, f"the agent refused a revoked certificate itself: {body}"
    verifies(body["certb64"], body["signature"], b"revoked")
    assert agent.pin is not None
    outcome = portal.pages.submit(portal.id_number, agent.pin)
    assert REVOKED in outcome.message, f"the portal's page said: {outcome.message or '實名認證成功'}"
    note(f"signed; the page after OCSP: 「{outcome.message}」")


@pytest.mark.requirement("AG-26")
def test_legacy_image_probe(agent: Agent, portal: Portal, page: Page, note: Any) -> None:
    trusted_portal(agent, portal, page)
    answer = portal.pages.image_probe(agent.url)
    assert "error" not in answer, answer.get("error")
    assert codes(answer)[0] == 0, answer
    assert isinstance(answer.get("slots"), list), f"no slots in the image's answer: {answer}"
    note(f"/p11Image.bmp read through a canvas on {portal.url}: ret_code 0, {len(answer['slots'])} slot(s)")
