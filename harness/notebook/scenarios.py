"""The scenario a notebook explores: its citizen, browser context and page, and what continuing cells keep.

A new scenario resets the simulators, draws the next citizen of the notebook's base seed (the same sequence every
run) and opens a blank page in a new context; a %%gherkin cell's run hands its scenario back here (runner.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import BrowserContext, Page

from domain.card import card_holder
from domain.citizen import CitizenProfile
from harness.citizens import card_services, make_citizen, scenario_seed
from harness.codes import CodeReader
from harness.notebook.browser import context_options
from harness.notebook.lifecycle import Lifecycle, NotUp
from harness.notebook.model import Evidence
from simulators.control import SESSION_HEADER
from simulators.mail import MailClient
from simulators.registry import RegistryClient
from simulators.sms import SmsClient


@dataclass(slots=True)
class Scene:
    """The scenario a notebook is in: its citizen, browser context and page, and what continuing cells keep."""

    citizen: CitizenProfile
    context: BrowserContext
    page: Page
    carry: dict[str, Any] = field(default_factory=dict)  # fixture name → value (`screen`, `installer`, `codes` …)
    journal: list[str] = field(default_factory=list)  # the steps that passed, keyword and text, across cells
    seen: dict[str, int] = field(default_factory=dict)  # how many APDUs and agent requests the report already has


class Scenarios:
    """The scenario being explored and the citizens drawn for it, on the stack and browser of `lifecycle`."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self._scene: Scene | None = None
        self.changes = 0  # bumped whenever the scene changes: the extension then shares it with the user's namespace
        self.drawn = 0  # citizens drawn from the base seed since `%tpcd up`

    @property
    def scene(self) -> Scene | None:
        """The scenario being explored: its citizen, page and the fixtures its steps made."""
        return self._scene

    @scene.setter
    def scene(self, scene: Scene | None) -> None:
        self._scene = scene
        self.changes += 1

    def require_scene(self) -> Scene:
        """The scenario being explored, or a clear error."""
        if self.scene is None:
            raise NotUp("no scenario to go on with: run a %%gherkin cell (without --continue) or %tpcd new first")
        return self.scene

    def draw_citizen(self, seed: int | None = None, *, worker: int = 0) -> CitizenProfile:
        """The citizen of `seed`, or the next one of the notebook's base seed (the same sequence every run)."""
        if seed is None:
            seed = scenario_seed(self.lifecycle.base_seed, f"notebook#{self.drawn}")
            self.drawn += 1
        return make_citizen(seed, worker=worker, run=self.lifecycle.run)

    def fresh_context(self, options: dict[str, Any]) -> BrowserContext:
        """A new browser context for a new scenario; the previous scenario's context is closed."""
        browser = self.lifecycle.require_browser()
        previous, self.scene = self.scene, None

        def make() -> BrowserContext:
            if previous is not None:
                previous.context.close()
            return browser.browser.new_context(**options)

        return browser.call(make)

    def new_scenario(self, seed: int | None = None, *, worker: int = 0, card: bool = True) -> Scene:
        """Start exploring by hand: simulators reset, a new citizen (their card in the reader and their card services
        at the registry, as `tpcd up` prepares them) and a blank page in a new context."""
        lifecycle = self.lifecycle
        stack, browser = lifecycle.require_stack(), lifecycle.require_browser()
        stack.reset()
        citizen = self.draw_citizen(seed, worker=worker)
        if card and stack.card is not None:
            stack.card.insert(card_holder(citizen))
        lifecycle.client("registry", RegistryClient).set_holdings(citizen.id_number, card_services(citizen))
        context = self.fresh_context(context_options(lifecycle.settings, stack.home_url))
        scenario_id = secrets.token_hex(8)  # named on every request, as the suite's page does (harness.plugin.browser)
        browser.call(lambda: context.set_extra_http_headers({SESSION_HEADER: scenario_id}))
        page = browser.call(context.new_page)
        codes = CodeReader(lifecycle.client("sms", SmsClient), lifecycle.client("mail", MailClient))
        self.scene = Scene(citizen, context, page, {"codes": codes, "scenario_id": scenario_id})
        return self.scene

    def screenshot_evidence(self) -> Evidence:
        """The current page, as the citizen sees it now (JPEG, as the report's screenshots)."""
        page = self.require_scene().page
        picture = self.lifecycle.require_browser().call(
            lambda: page.screenshot(full_page=True, type="jpeg", quality=80)
        )
        return Evidence(f"畫面：{page.url}", "image/jpeg", picture)
