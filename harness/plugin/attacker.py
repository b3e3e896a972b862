"""The 攻擊者 of the @security scenarios: a person of their own, scripting HTTP against the portal under test."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page

from domain.citizen import CitizenProfile
from harness.citizens import make_citizen, scenario_seed
from harness.plugin.citizens import BASE_SEED_KEY, worker_number
from harness.settings import Settings
from harness.stack import Stack
from pages.attacker import Attacker, CardScript, Tab
from pages.base import history
from simulators import captcha


@pytest.fixture
def attacker(
    request: pytest.FixtureRequest, pytestconfig: pytest.Config, worker_id: str, fresh_stack: Stack
) -> Iterator[Attacker]:
    """Someone else than the citizen, with a phone and a mailbox as unique as the citizen's (so a shared, attached
    stack keeps scenarios apart), acting only through the portal's public pages."""
    seed = scenario_seed(pytestconfig.stash[BASE_SEED_KEY], request.node.nodeid + "#攻擊者")
    identity = make_citizen(seed, worker=worker_number(worker_id))
    profile = fresh_stack.profile
    home, login = fresh_stack.home_url, profile.links.login
    someone = Attacker.at(fresh_stack.portal_url, identity, home, login, solver=captcha.tick)
    try:
        yield someone
    finally:
        someone.close()


@pytest.fixture
def script(page: Page, citizen: CitizenProfile, fresh_stack: Stack, tpcd_settings: Settings) -> Iterator[CardScript]:
    """步驟二 scripted on the citizen's own computer, in the session the citizen's browser holds (taken when first
    asked for), with the local 安控元件 and the card in its reader: the evidence is the script's to change."""
    host = urlparse(fresh_stack.portal_url).hostname
    cookies = [(c["name"], c["value"]) for c in page.context.cookies() if c.get("domain", "").lstrip(".") == host]
    seen = dict(history(page))
    tab = Tab(fresh_stack.portal_url, None, cookies, home=fresh_stack.home_url, seen=seen, solver=captcha.tick)
    tab.http.headers["User-Agent"] = (
        tpcd_settings.user_agent
    )  # the browser's: the 金質會員認證 page offers 下一步 to it
    profile = fresh_stack.profile
    addresses = {title: profile.url(fresh_stack.portal_url, path) for title, path in profile.addresses.items()}
    try:
        yield CardScript(tab, fresh_stack.urls["agent"], citizen.pin, addresses=addresses)
    finally:
        tab.close()
