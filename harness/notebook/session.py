"""The harness inside a kernel (what `tpcd` is in a cell): one face over the collaborators that do each job.

- lifecycle.py: the stack, the browser and the simulators' clients, from `%tpcd up` to `%tpcd down`;
- scenarios.py: the scenario being explored, its citizen and page;
- cells.py (with runner.py): %%gherkin cells, run through pytest-bdd on the browser thread;
- faults.py: faults armed by their protocol names;
- reports.py and certification.py: the Allure report of the runs, `tpcd certify-agent` as a subprocess.

Everything a cell starts is stopped by `close()`: `%tpcd down`, unloading the extension, or the kernel's exit (an
atexit hook, as ipykernel ends its process normally on a shutdown request).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from domain.citizen import CitizenProfile
from harness import certify
from harness.notebook.cells import CellRunner, LiveView
from harness.notebook.certification import certify_agent
from harness.notebook.faults import ArmedFaults, FaultInjector
from harness.notebook.lifecycle import Lifecycle, Links
from harness.notebook.model import Evidence, GherkinRun
from harness.notebook.reports import notebook_report
from harness.notebook.scenarios import Scenarios, Scene
from harness.settings import Settings
from harness.stack import Stack
from simulators.agent import AgentClient
from simulators.card import CardClient
from simulators.client import SimulatorClient
from simulators.mail import MailClient
from simulators.sms import SmsClient

T = TypeVar("T")
C = TypeVar("C", bound=SimulatorClient)


class Notebook:
    """One per kernel: `%tpcd up` fills it, `%%gherkin` and `%%browser` cells use it, `%tpcd down` empties it."""

    def __init__(self, settings: Settings) -> None:
        self.lifecycle = Lifecycle(settings)
        self.scenarios = Scenarios(self.lifecycle)
        self.cells = CellRunner(self.lifecycle, self.scenarios)
        self.injector = FaultInjector(self.lifecycle)

    # What the lifecycle holds

    @property
    def stack(self) -> Stack | None:
        """The running stack, if any."""
        return self.lifecycle.stack

    # Lifecycle

    def up(
        self,
        *,
        seed: int | None = None,
        headed: bool = False,
        base_url: str | None = None,
        attach: str | None = None,
    ) -> Links:
        """Start the stack and the browser (lifecycle.py), then a first scenario with its citizen's card in the
        reader; `attach` is the JSON a `tpcd up --listen …` printed (a file or URL)."""
        links = self.lifecycle.up(seed=seed, headed=headed, base_url=base_url, attach=attach)
        self.scenarios.drawn = 0
        try:
            self.new_scenario()
        except BaseException:
            self.close()
            raise
        return links

    def close(self) -> None:
        """Stop everything `up` started: the scenario is dropped before its browser closes."""
        self.scenarios.scene = None
        self.lifecycle.close()

    def require_stack(self) -> Stack:
        """The running stack, or a clear error."""
        return self.lifecycle.require_stack()

    def links(self) -> Links:
        """What `%tpcd up` shows: the services' URLs."""
        return self.lifecycle.links()

    def in_browser(self, work: Callable[[], T]) -> T:
        """Run `work` on the browser thread (where `page` may be used) and return its result."""
        return self.lifecycle.require_browser().call(work)

    # Scenarios

    @property
    def scene(self) -> Scene | None:
        """The scenario being explored: its citizen, page and the fixtures its steps made."""
        return self.scenarios.scene

    @property
    def changes(self) -> int:
        """Bumped whenever the scene changes: the extension then shares it with the user's namespace."""
        return self.scenarios.changes

    @property
    def citizen(self) -> CitizenProfile:
        """The citizen of the scenario being explored."""
        return self.scenarios.require_scene().citizen

    def require_scene(self) -> Scene:
        """The scenario being explored, or a clear error."""
        return self.scenarios.require_scene()

    def new_scenario(self, seed: int | None = None, *, worker: int = 0, card: bool = True) -> Scene:
        """Start exploring by hand: simulators reset, a new citizen with their card, a blank page."""
        return self.scenarios.new_scenario(seed, worker=worker, card=card)

    def screenshot_evidence(self) -> Evidence:
        """The current page, as the citizen sees it now."""
        return self.scenarios.screenshot_evidence()

    # Cells

    @property
    def last(self) -> GherkinRun | None:
        """The last %%gherkin run."""
        return self.cells.last

    @property
    def live(self) -> Callable[[], LiveView] | None:
        """What makes the live view of a run (the extension's; None outside a kernel)."""
        return self.cells.live

    @live.setter
    def live(self, live: Callable[[], LiveView] | None) -> None:
        self.cells.live = live

    def gherkin(
        self, text: str, *, proceed: bool = False, seed: int | None = None, worker: int = 0, markers: str | None = None
    ) -> GherkinRun:
        """What a %%gherkin cell does, from Python: `proceed` goes on with the current scenario, `seed` and `worker`
        pick its citizen, `markers` selects scenarios by tag."""
        return self.cells.gherkin(text, proceed=proceed, seed=seed, worker=worker, markers=markers)

    def keep_as_feature(
        self, path: str | Path, *, feature: str, scenario: str, tags: tuple[str, ...] = (), description: str = ""
    ) -> Path:
        """Write the steps that passed in this scenario, across its cells, as a feature file; return its path."""
        return self.cells.keep_as_feature(path, feature=feature, scenario=scenario, tags=tags, description=description)

    # Simulators and faults

    def client(self, name: str, kind: type[C]) -> C:
        """The notebook's own client of simulator `name` (sms, mail, captcha, netizen, registry, ocsp, agent)."""
        return self.lifecycle.client(name, kind)

    @property
    def sms(self) -> SmsClient:
        """The SMS gateway's client: displays as the inbox."""
        return self.lifecycle.client("sms", SmsClient)

    @property
    def mail(self) -> MailClient:
        """The mail simulator's client: displays as the mailbox."""
        return self.lifecycle.client("mail", MailClient)

    @property
    def agent(self) -> AgentClient:
        """The 安控元件's desktop: displays as the tray, trusted sites and request log."""
        return self.lifecycle.client("agent", AgentClient)

    @property
    def card(self) -> CardClient:
        """The citizen's 自然人憑證 and its reader: displays as the card."""
        return self.lifecycle.card

    def arm(
        self,
        simulator: str,
        fault: str,
        *,
        match: str | None = None,
        times: int | None = 1,
        seconds: float | None = None,
    ) -> ArmedFaults:
        """Arm `fault` by its protocol name for `match`, `times` uses (None: until reset); every armed fault."""
        return self.injector.arm(simulator, fault, match=match, times=times, seconds=seconds)

    def faults(self) -> ArmedFaults:
        """Every simulator's armed faults."""
        return self.injector.armed()

    # Reports and certification

    def report(self) -> Path:
        """The Allure report of this notebook's %%gherkin runs (reports/notebook/allure-report/index.html)."""
        return notebook_report(self.lifecycle)

    def certify_agent(self, report_dir: Path | None = None) -> list[certify.RequirementResult]:
        """`tpcd certify-agent` against this notebook's 安控元件; every requirement's outcome."""
        return certify_agent(self.lifecycle, report_dir)
