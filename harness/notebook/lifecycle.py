"""What `%tpcd up` starts and `%tpcd down` stops: the stack, the notebook's browser and its simulators' clients.

Everything started here is stopped by `close()`, browser first (its pages talk to the stack), then the clients, the
stack and the temporary home.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from playwright.sync_api import expect

from harness.attach import attach_stack
from harness.notebook.browser import BrowserThread, launch_options
from harness.settings import Settings, load_settings
from harness.simulator_table import CONTROLLED
from harness.stack import Stack
from simulators.card import CardClient
from simulators.client import SimulatorClient

C = TypeVar("C", bound=SimulatorClient)


class NotUp(RuntimeError):
    """The notebook has no stack (or no scenario) yet; the message says which magic to run."""


@dataclass(frozen=True, slots=True)
class Links:
    """The running stack for a person: each service's URL, the pages to open, the PC/SC socket."""

    urls: dict[str, str]
    portal: str
    pcsc_socket: str | None
    base_seed: int
    headed: bool


class Lifecycle:
    """The kernel's stack, browser and simulator clients, from `up` to `close`, and the seeds that run chose."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stack: Stack | None = None
        self.browser: BrowserThread | None = None
        self.headed = False
        self.base_seed = 0
        self.run = 0  # the citizens' own part of contacts and ID numbers (non-zero against a deployment)
        self.home: Path | None = None  # the browser's HOME and XDG folders, removed by close()
        self.clients: dict[str, SimulatorClient] = {}

    @property
    def root(self) -> Path:
        """The project: its pyproject.toml, conftest.py and features/."""
        return self.settings.project_root

    @property
    def workdir(self) -> Path:
        """Everything notebook runs write: cells' features, Allure results, the report (gitignored reports/)."""
        return self.settings.path(self.settings.reports_dir) / "notebook"

    @property
    def results_dir(self) -> Path:
        """Allure results of %%gherkin runs, which `%tpcd report` (or any Allure report) reads."""
        return self.workdir / "allure-results"

    def up(
        self,
        *,
        seed: int | None = None,
        headed: bool = False,
        base_url: str | None = None,
        attach: str | None = None,
    ) -> Links:
        """Start the stack, the simulators' clients and the browser; on any failure stop what started.

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
        expect.set_options(timeout=settings.page_timeout * 1000)  # as the suite's browser fixture sets it
        try:
            self.home = Path(tempfile.mkdtemp(prefix="tpcd-notebook-"))
            stack = self.stack = Stack(settings, attach=shared).start()
            self.clients = {
                c.fixture: c.client(stack.urls[c.name], token=stack.token, shared=stack.shares(c.name))
                for c in CONTROLLED
            }
            launch = launch_options(settings, stack, headed=headed, home=self.home)
            self.browser = BrowserThread(launch, home=self.home).start()
        except BaseException:
            self.close()
            raise
        return self.links()

    def close(self) -> None:
        """Stop everything `up` started (browser first: its pages talk to the stack), remove its temp dirs."""
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        for client in self.clients.values():
            client.close()
        self.clients.clear()
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

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

    def links(self) -> Links:
        """What `%tpcd up` shows: the services' URLs."""
        stack = self.require_stack()
        return Links(dict(stack.urls), stack.portal_url, stack.pcsc_socket, self.base_seed, self.headed)

    def client(self, name: str, kind: type[C]) -> C:
        """The notebook's own client of simulator `name` (sms, mail, captcha, netizen, registry, ocsp, agent)."""
        self.require_stack()
        client = self.clients.get(name)
        if not isinstance(client, kind):
            raise KeyError(f"no {kind.__name__} called {name!r}; simulators: {', '.join(sorted(self.clients))}")
        return client

    @property
    def card(self) -> CardClient:
        """The citizen's 自然人憑證 and its reader (the card has no HTTP control surface)."""
        card = self.require_stack().card
        if card is None:
            raise NotUp("this stack has no virtual card")
        return card
