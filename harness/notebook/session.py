"""The harness inside a kernel: one stack, one browser, and the scenario being explored (what `tpcd` is in a cell).

Everything a cell starts is stopped by `close()`: `%tpcd down`, unloading the extension, or the kernel's exit (an
atexit hook, as ipykernel ends its process normally on a shutdown request).
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from playwright.sync_api import BrowserContext, expect

from domain.card import card_holder
from domain.citizen import CitizenProfile
from harness import certify
from harness.attach import attach_stack
from harness.citizens import card_services, make_citizen, scenario_seed
from harness.codes import CodeReader
from harness.notebook.browser import BrowserThread, context_options, launch_options
from harness.notebook.feature import as_feature, exploration_feature
from harness.notebook.model import Event, Evidence, GherkinRun, ScenarioEnded, fold
from harness.notebook.runner import CellOptions, Scene, run_cell, write_cell
from harness.report import build_report
from harness.settings import Settings, load_settings
from harness.simulator_table import CONTROLLED
from harness.stack import Stack
from simulators.agent import AgentClient
from simulators.card import CardClient, CardFault
from simulators.client import SimulatorClient
from simulators.control import SESSION_HEADER
from simulators.mail import MailClient
from simulators.registry import RegistryClient
from simulators.sms import SmsClient

T = TypeVar("T")
C = TypeVar("C", bound=SimulatorClient)
CARD = "card"  # the card has no HTTP control surface: its faults are armed through CardClient


class NotUp(RuntimeError):
    """The notebook has no stack (or no scenario) yet; the message says which magic to run."""


@dataclass(frozen=True, slots=True)
class ArmedFaults:
    """Every simulator's armed faults, as their control surfaces report them."""

    by_simulator: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Links:
    """The running stack for a person: each service's URL, the pages to open, the PC/SC socket."""

    urls: dict[str, str]
    portal: str
    pcsc_socket: str | None
    base_seed: int
    headed: bool


class Notebook:
    """One per kernel: `%tpcd up` fills it, `%%gherkin` and `%%browser` cells use it, `%tpcd down` empties it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stack: Stack | None = None
        self.browser: BrowserThread | None = None
        self._scene: Scene | None = None
        self.changes = 0  # bumped whenever the scene changes: the extension then shares it with the user's namespace
        self.base_seed = 0
        self.run = 0  # the citizens' own part of contacts and ID numbers (non-zero against a deployment)
        self.headed = False
        self.last: GherkinRun | None = None
        self._drawn = 0
        self._cells = 0
        self._home: Path | None = None
        self._clients: dict[str, SimulatorClient] = {}
        self.live: Callable[[], Callable[[GherkinRun, Event], None]] | None = None  # the extension's live view

    @property
    def scene(self) -> Scene | None:
        """The scenario being explored: its citizen, page and the fixtures its steps made."""
        return self._scene

    @scene.setter
    def scene(self, scene: Scene | None) -> None:
        self._scene = scene
        self.changes += 1

    @property
    def root(self) -> Path:
        """The project: its pyproject.toml, conftest.py and features/."""
        return self.settings.project_root

    @property
    def workdir(self) -> Path:
        """Everything notebook runs write: cells' features, Allure results, the report (gitignored reports/)."""
        return self.settings.path(self.settings.reports_dir) / "notebook"

    @property
    def cells_dir(self) -> Path:
        """Where each %%gherkin cell's feature and test module are written: inside the project, wherever the reports go,
        as pytest finds the project's root conftest only above the tests it runs, and allure-pytest-bdd names a
        feature by its path from the project."""
        if self.workdir.resolve().is_relative_to(self.root.resolve()):
            return self.workdir / "cells"
        return self.root / "reports" / "notebook" / "cells"

    @property
    def results_dir(self) -> Path:
        """Allure results of %%gherkin runs, which `%tpcd report` (or any Allure report) reads."""
        return self.workdir / "allure-results"

    # Lifecycle

    def up(
        self,
        *,
        seed: int | None = None,
        headed: bool = False,
        base_url: str | None = None,
        attach: str | None = None,
    ) -> Links:
        """Start the stack and the browser, then a first scenario with its citizen's card in the reader.

        `attach`: the JSON a `tpcd up --listen …` printed (a file or URL), as `tpcd run --stack` takes it; then only
        the citizen's computer starts here (card, reader, agent) and the shared simulators are never reset."""
        if self.stack is not None:
            raise RuntimeError("the stack is already up: %tpcd down first")
        settings = load_settings({"base_url": base_url, "seed": seed, "stack": attach}, root=self.root)
        shared = None
        if settings.stack is not None:
            shared = attach_stack(settings)
        self.settings, self.headed = settings, headed
        self.base_seed = settings.seed if settings.seed is not None else secrets.randbelow(1_000_000)
        # A deployed portal or a shared stack keeps every earlier run's members: this kernel's citizens get contacts
        # and ID numbers of their own (harness/plugin/citizens.py does the same for a suite run).
        self.run = 0 if settings.embedded and shared is None else 1 + secrets.randbelow(99_999)
        self._drawn = 0
        expect.set_options(timeout=settings.page_timeout * 1000)  # as the suite's browser fixture sets it
        try:
            self._home = Path(tempfile.mkdtemp(prefix="tpcd-notebook-"))
            stack = self.stack = Stack(settings, attach=shared).start()
            self._clients = {
                c.fixture: c.client(stack.urls[c.name], token=stack.token, shared=stack.shares(c.name))
                for c in CONTROLLED
            }
            launch = launch_options(settings, stack, headed=headed, home=self._home)
            self.browser = BrowserThread(launch, home=self._home).start()
            self.new_scenario()
        except BaseException:
            self.close()
            raise
        return self.links()

    def close(self) -> None:
        """Stop everything `up` started (browser first: its pages talk to the stack), remove its temp dirs."""
        self.scene = None
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    def require_stack(self) -> Stack:
        """The running stack, or a clear error."""
        if self.stack is None:
            raise NotUp("no stack in this kernel: run %tpcd up first")
        return self.stack

    def require_browser(self) -> BrowserThread:
        """The notebook's browser, or a clear error."""
        if self.browser is None:
            raise NotUp("no browser in this kernel: run %tpcd up first")
        return self.browser

    def require_scene(self) -> Scene:
        """The scenario being explored, or a clear error."""
        if self.scene is None:
            raise NotUp("no scenario to go on with: run a %%gherkin cell (without --continue) or %tpcd new first")
        return self.scene

    def links(self) -> Links:
        """What `%tpcd up` shows: the services' URLs."""
        stack = self.require_stack()
        return Links(dict(stack.urls), stack.portal_url, stack.pcsc_socket, self.base_seed, self.headed)

    # Scenarios

    def draw_citizen(self, seed: int | None = None, *, worker: int = 0) -> CitizenProfile:
        """The citizen of `seed`, or the next one of the notebook's base seed (the same sequence every run)."""
        if seed is None:
            seed = scenario_seed(self.base_seed, f"notebook#{self._drawn}")
            self._drawn += 1
        return make_citizen(seed, worker=worker, run=self.run)

    def fresh_context(self, options: dict[str, Any]) -> BrowserContext:
        """A new browser context for a new scenario; the previous scenario's context is closed."""
        browser = self.require_browser()
        previous, self.scene = self.scene, None

        def make() -> BrowserContext:
            if previous is not None:
                previous.context.close()
            return browser.browser.new_context(**options)

        return browser.call(make)

    def new_scenario(self, seed: int | None = None, *, worker: int = 0, card: bool = True) -> Scene:
        """Start exploring by hand: simulators reset, a new citizen (their card in the reader and their card services
        at the registry, as `tpcd up` prepares them) and a blank page in a new context."""
        stack, browser = self.require_stack(), self.require_browser()
        stack.reset()
        citizen = self.draw_citizen(seed, worker=worker)
        if card and stack.card is not None:
            stack.card.insert(card_holder(citizen))
        registry = self._clients["registry"]
        assert isinstance(registry, RegistryClient)
        registry.set_holdings(citizen.id_number, card_services(citizen))
        context = self.fresh_context(context_options(self.settings, stack.home_url))
        scenario_id = secrets.token_hex(8)  # named on every request, as the suite's page does (harness.plugin.browser)
        browser.call(lambda: context.set_extra_http_headers({SESSION_HEADER: scenario_id}))
        page = browser.call(context.new_page)
        carry = {"codes": CodeReader(self.sms, self.mail), "scenario_id": scenario_id}
        self.scene = Scene(citizen, context, page, carry)
        return self.scene

    @property
    def citizen(self) -> CitizenProfile:
        """The citizen of the scenario being explored."""
        return self.require_scene().citizen

    # Cells

    def gherkin(
        self, text: str, *, proceed: bool = False, seed: int | None = None, worker: int = 0, markers: str | None = None
    ) -> GherkinRun:
        """What a %%gherkin cell does, from Python (for Gherkin a cell builds, e.g. from a report): `proceed` goes
        on with the current scenario, `seed` and `worker` pick its citizen, `markers` selects scenarios by tag."""
        options = CellOptions(proceed=proceed, seed=seed, worker=worker, markers=markers)
        return self.run_gherkin(text, options, self.live() if self.live else lambda run, event: None)

    def run_gherkin(self, cell: str, options: CellOptions, on_event: Callable[[GherkinRun, Event], None]) -> GherkinRun:
        """Run a %%gherkin cell on the browser thread; fold its events into the result here, calling `on_event`
        after each (the live view), until the run ends. Ctrl-C stops it before its next step."""
        browser = self.require_browser()
        self.require_stack()
        if options.proceed:
            self.require_scene()
        self._cells += 1
        title = f"第 {self._cells} 格" + ("（接續）" if options.proceed else "")
        feature = as_feature(cell, title=title)
        module = write_cell(self.cells_dir / f"{os.getpid()}-{self._cells:03d}", feature)
        events: queue.Queue[Event] = queue.Queue()
        stop = threading.Event()
        run = GherkinRun(str(module.parent / "cell.feature"))

        def interrupted(signum: int, frame: FrameType | None) -> None:
            """Jupyter's interrupt (SIGINT): the run stops before its next step; the step running now finishes."""
            stop.set()
            run.interrupted = True

        done = browser.submit(lambda: run_cell(self, module, options, events.put, stop))
        main = threading.current_thread() is threading.main_thread()  # only the main thread may handle signals
        previous = signal.signal(signal.SIGINT, interrupted) if main else None
        try:
            while not (done.done() and events.empty()):
                try:
                    event = events.get(timeout=0.1)
                except queue.Empty:
                    continue
                fold(run, event)
                on_event(run, event)
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        run.exit_code = done.result()
        for index, scenario in enumerate(run.scenarios):  # stopped (Ctrl-C) before its teardown: never ended
            if scenario.status == "running":
                ended = ScenarioEnded(index, "skipped", "中斷：在這一步之前停止（interrupted）")
                fold(run, ended)
                on_event(run, ended)
        self.last = run
        return run

    def in_browser(self, work: Callable[[], T]) -> T:
        """Run `work` on the browser thread (where `page` may be used) and return its result."""
        return self.require_browser().call(work)

    def screenshot_evidence(self) -> Evidence:
        """The current page, as the citizen sees it now (JPEG, as the report's screenshots)."""
        page = self.require_scene().page
        picture = self.in_browser(lambda: page.screenshot(full_page=True, type="jpeg", quality=80))
        return Evidence(f"畫面：{page.url}", "image/jpeg", picture)

    def keep_as_feature(
        self, path: str | Path, *, feature: str, scenario: str, tags: tuple[str, ...] = (), description: str = ""
    ) -> Path:
        """Write the steps that passed in this scenario, across its cells, as a feature file; return its path."""
        steps = self.require_scene().journal
        target = Path(path)
        target = target if target.is_absolute() else self.root / target
        target.parent.mkdir(parents=True, exist_ok=True)
        text = exploration_feature(feature, scenario, steps, tags=tags, description=description)
        target.write_text(text, encoding="utf-8")
        return target

    # Simulators

    def client(self, name: str, kind: type[C]) -> C:
        """The notebook's own client of simulator `name` (sms, mail, captcha, netizen, registry, ocsp, agent)."""
        self.require_stack()
        client = self._clients.get(name)
        if not isinstance(client, kind):
            raise KeyError(f"no {kind.__name__} called {name!r}; simulators: {', '.join(sorted(self._clients))}")
        return client

    @property
    def sms(self) -> SmsClient:
        """The SMS gateway's client: displays as the inbox."""
        return self.client("sms", SmsClient)

    @property
    def mail(self) -> MailClient:
        """The mail simulator's client: displays as the mailbox."""
        return self.client("mail", MailClient)

    @property
    def agent(self) -> AgentClient:
        """The 安控元件's desktop: displays as the tray, trusted sites and request log."""
        return self.client("agent", AgentClient)

    @property
    def card(self) -> CardClient:
        """The citizen's 自然人憑證 and its reader: displays as the card."""
        card = self.require_stack().card
        if card is None:
            raise NotUp("this stack has no virtual card")
        return card

    @property
    def simulators(self) -> list[str]:
        """The names faults are armed by: the fixtures' names, and the card."""
        return [*self._clients, CARD]

    def arm(
        self,
        simulator: str,
        fault: str,
        *,
        match: str | None = None,
        times: int | None = 1,
        seconds: float | None = None,
    ) -> ArmedFaults:
        """Arm `fault`, named in the simulator's protocol terms (an SMS statuscode "s", an SMTP code "451", a card
        "pin_blocked", a HiPKI fault "no_reader" …), for `match` (a mobile, an address …), `times` uses (None: until
        reset); return every armed fault."""
        if simulator == CARD:
            self.card.arm(CardFault(fault))
        else:
            self.client(simulator, SimulatorClient).arm(fault, match=match, times=times, seconds=seconds)
        return self.faults()

    def faults(self) -> ArmedFaults:
        """Every simulator's armed faults."""
        return ArmedFaults({name: list(client.state().get("faults", [])) for name, client in self._clients.items()})

    # Reports and certification

    def report(self) -> Path:
        """The Allure report of this notebook's %%gherkin runs (reports/notebook/allure-report/index.html)."""
        return build_report(self.settings, results=self.results_dir, output=self.workdir / "allure-report")

    def certify_agent(self, report_dir: Path | None = None) -> list[certify.RequirementResult]:
        """`tpcd certify-agent` against this notebook's 安控元件, its card under the harness's control; every
        requirement's outcome (the suite's own Allure results and summary go to `report_dir`)."""
        stack = self.require_stack()
        target = report_dir or self.workdir / "certify-agent"
        command = [sys.executable, "-m", "harness.cli", "certify-agent", "--agent-url", stack.urls["agent"]]
        command += ["--control-url", stack.urls["agent_desktop"], "--report", str(target)]
        finished = subprocess.run(command, cwd=self.root, check=False, capture_output=True, text=True)
        if finished.returncode not in (0, 1):  # 1: some requirement failed, which the outcomes show
            raise RuntimeError(f"certify-agent could not run ({finished.returncode}):\n{finished.stderr[-2000:]}")
        return certify.outcomes(target / "allure-results")
