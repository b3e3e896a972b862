"""The IPython extension: the magics, the rich displays, `tpcd` and the page objects in the user's namespace.

One `Notebook` per kernel holds the stack, the browser (on a thread of its own) and the scenario being explored; it
is `tpcd` in the user's namespace. The kernel's exit stops everything it started.
"""

from __future__ import annotations

import atexit
import sys

from IPython.core.interactiveshell import InteractiveShell

from domain.citizen import Channel, CitizenProfile
from harness.notebook import views
from harness.notebook.faults import ArmedFaults
from harness.notebook.lifecycle import Links
from harness.notebook.magics import TpcdMagics
from harness.notebook.model import GherkinRun, ScenarioResult, StepResult
from harness.notebook.session import Notebook
from harness.settings import load_settings
from simulators.agent import AgentClient
from simulators.card import CardClient
from simulators.mail import MailClient
from simulators.sms import SmsClient

_notebook: Notebook | None = None
FORMATTERS: dict[type, object] = {
    GherkinRun: views.run_summary_html,
    ScenarioResult: views.scenario_html,
    StepResult: views.step_html,
    CitizenProfile: views.citizen_html,
    Links: views.links_html,
    ArmedFaults: views.faults_html,
    SmsClient: views.sms_html,
    MailClient: views.mail_html,
    CardClient: views.card_html,
    AgentClient: views.agent_html,
}


def _page_objects() -> dict[str, object]:
    """What a %%browser cell uses by name: every page object, the screens by title, the flows, `expect`."""
    from playwright.sync_api import expect

    from pages import agent, apply, flows, gold, netizen, register
    from pages.base import Screen
    from pages.screens import SCREENS

    names: dict[str, object] = {"expect": expect, "SCREENS": SCREENS, "Screen": Screen, "flows": flows}
    names["Channel"] = Channel
    for module in (apply, register, gold, agent, netizen):
        names.update({n: v for n, v in vars(module).items() if isinstance(v, type) and v.__module__ == module.__name__})
    return names


def load(ip: InteractiveShell) -> None:
    """`%load_ext harness.notebook`: the magics, the rich displays, `tpcd` and the page objects."""
    global _notebook
    if _notebook is None:
        settings = load_settings()
        if str(settings.project_root) not in sys.path:
            sys.path.insert(0, str(settings.project_root))  # the step modules (steps/) are not an installed package
        _notebook = Notebook(settings)
        atexit.register(_notebook.close)  # ipykernel's shutdown ends the process normally: atexit hooks run
    magics = TpcdMagics(ip, _notebook)
    ip.register_magics(magics)
    ip.events.register("post_run_cell", magics.after_cell)
    assert ip.display_formatter is not None
    html = ip.display_formatter.formatters["text/html"]
    for kind, render in FORMATTERS.items():
        html.for_type(kind, render)
    ip.user_ns.update({"tpcd": _notebook, **_page_objects()})


def unload(ip: InteractiveShell) -> None:
    """`%unload_ext harness.notebook`: stop whatever the notebook started."""
    if _notebook is not None:
        _notebook.close()
