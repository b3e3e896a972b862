"""axe-core after every step that shows a new screen of the portal: its findings in the step's evidence, and a serious
or critical violation fails the step (TPCD_A11Y=fail, the default; `report` only attaches, `off` runs nothing).

Each new screen's texts (its heading, what it reads, its alerts and notices) and, in a @fault scenario, the faults its
Given steps armed are attached too: `tpcd guide` sets them beside the guide's words (harness/living_guide.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import allure
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from harness.accessibility import (
    Accepted,
    AxeMissing,
    BaselineError,
    Finding,
    analyse,
    as_json,
    axe_source,
    load_baseline,
)
from harness.plugin.browser import PAGE_KEY
from harness.plugin.services import SETTINGS_KEY, STACK_KEY

AXE_KEY = pytest.StashKey[tuple[str, str, list[Accepted]]]()  # the mode, axe.min.js, the baseline
JSON = allure.attachment_type.JSON
SCREEN_KEY = pytest.StashKey[str]()  # the last screen analysed in this scenario
# What makes a screen new: another document (its change counter's name, harness.plugin.browser.CHANGES_SCRIPT) or
# address, another level-1 heading, a dialog opened or closed (the PIN prompt, the 「是」/「否」 question), or controls
# come or gone (the 「我不是機器人」 widget its script draws after the page has loaded).
SCREEN_SCRIPT = """() => [
  location.href,
  String(window.__tpcdChanges || "").split(":")[0],
  (document.querySelector("h1") || {}).textContent || "",
  document.querySelectorAll("dialog[open], [role=dialog]:not([hidden])").length,
  document.querySelectorAll("a[href], button, input, select, textarea, [role=button], [tabindex]").length,
].join("|")"""


SCREEN_TEXTS = """() => ({
  url: location.href,
  title: ((document.querySelector("h1") || {}).textContent || "").trim(),
  text: document.body ? document.body.innerText : "",
  messages: [...document.querySelectorAll("[role=alert]"), ...document.querySelectorAll("[role=status]")]
    .filter(element => element.getClientRects().length > 0)
    .map(element => element.innerText.trim()).filter(Boolean),
  alerts: [...document.querySelectorAll("[role=alert]")]
    .filter(element => element.getClientRects().length > 0)
    .map(element => element.innerText.trim()).filter(Boolean),
})"""
SCREEN_TEXTS_NAME = "畫面文字"
MESSAGES_NAME = "畫面訊息"  # in a @fault scenario, after each Then: the alerts and notices the citizen reads then
FAULTS_NAME = "注入的故障"


class AccessibilityViolation(AssertionError):
    """A screen breaks a rule axe-core checks, seriously or critically, and no baseline entry accepts it."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpcd", "tpcd-harness")
    group.addoption(
        "--a11y-baseline",
        default=None,
        metavar="TOML",
        help="a deployment's known accessibility violations, each with a reason (TPCD_A11Y_BASELINE)",
    )


@pytest.hookimpl(trylast=True)  # after harness.plugin.services has read the settings
def pytest_configure(config: pytest.Config) -> None:
    """Read axe-core and the baseline once: a missing axe-core or a bad baseline stops the run with its own line."""
    config.addinivalue_line("markers", "keyboard: walks documented steps with the keyboard alone, focus visible")
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or settings.a11y == "off":
        return
    typed = config.getoption("a11y_baseline", None)
    chosen = Path(typed).absolute() if typed else settings.a11y_baseline  # typed: from where it was typed
    try:
        baseline = load_baseline(settings.path(chosen)) if chosen is not None else []
        config.stash[AXE_KEY] = (settings.a11y, axe_source(settings.project_root), baseline)
    except (AxeMissing, BaselineError) as error:
        raise pytest.UsageError(str(error)) from error


def _portal_page(item: pytest.Item) -> Page | None:
    """The scenario's page, when it shows a screen of the portal under test (not a simulator's, not a blank one)."""
    page = item.stash.get(PAGE_KEY, None)
    stack = item.stash.get(STACK_KEY, None)
    if page is None or page.is_closed() or stack is None:
        return None
    here, portal = urlsplit(page.url), urlsplit(stack.portal_url)
    return page if (here.scheme, here.netloc) == (portal.scheme, portal.netloc) else None


def check_screen(item: pytest.Item, step_name: str) -> list[Finding]:
    """When the page shows a screen this scenario has not seen yet: attach its texts, and what axe-core finds."""
    chosen = item.config.stash.get(AXE_KEY, None)
    page = _portal_page(item)
    if page is None:
        return []
    try:
        screen = page.evaluate(SCREEN_SCRIPT)
        if item.stash.get(SCREEN_KEY, None) == screen:
            return []
        texts = page.evaluate(SCREEN_TEXTS)
        found = analyse(page, chosen[1], chosen[2]) if chosen is not None else None
    except PlaywrightError as error:  # a page navigating away mid-analysis: the next step's screen is analysed
        name = f"無障礙檢查（axe-core）未完成：{step_name}"
        allure.attach(str(error), name=name, attachment_type=allure.attachment_type.TEXT)
        return []
    item.stash[SCREEN_KEY] = screen
    allure.attach(json.dumps(texts, ensure_ascii=False), name=SCREEN_TEXTS_NAME, attachment_type=JSON)
    if found is None:
        return []
    title = f"無障礙檢查（axe-core）：{len(found)} 項違規" if found else "無障礙檢查（axe-core）：無違規"
    allure.attach(as_json(page.url, found), name=title, attachment_type=JSON)
    return found


def _attach_messages(item: pytest.Item) -> None:
    """In a @fault scenario, after a Then: the messages on the screen (a page may change them without a new screen)."""
    page = _portal_page(item)
    if page is None or item.get_closest_marker("fault") is None:
        return
    try:
        texts = page.evaluate(SCREEN_TEXTS)
    except PlaywrightError:
        return
    shown = {"messages": texts["messages"], "alerts": texts["alerts"]}
    allure.attach(json.dumps(shown, ensure_ascii=False), name=MESSAGES_NAME, attachment_type=JSON)


def _attach_faults(item: pytest.Item) -> None:
    """In a @fault scenario, after a Given: what each simulator has armed now (the fault its step arranged)."""
    stack = item.stash.get(STACK_KEY, None)
    if stack is None or item.get_closest_marker("fault") is None:
        return
    armed = {}
    for name, state in stack.simulator_state().items():
        faults = state.get("faults") if isinstance(state, dict) else None
        if faults:
            armed[name] = faults
    if armed:
        allure.attach(json.dumps(armed, ensure_ascii=False, indent=2), name=FAULTS_NAME, attachment_type=JSON)


# tryfirst: before allure-pytest-bdd closes the step, so the evidence (and a failure) belongs to that step.
@pytest.hookimpl(tryfirst=True)
def pytest_bdd_after_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any, step_func_args: Any
) -> None:
    if step.type in ("given", "when"):
        _attach_faults(request.node)
    elif step.type == "then":
        _attach_messages(request.node)
    found = check_screen(request.node, f"{step.keyword} {step.name}")
    mode = request.config.stash[AXE_KEY][0] if AXE_KEY in request.config.stash else "off"
    failing = [finding for finding in found if finding.fails]
    if mode != "fail" or not failing:
        return
    lines = "\n".join(f"  {finding.line()}" for finding in failing)
    error = AccessibilityViolation(
        f"axe-core: {len(failing)} serious/critical accessibility violation(s) on {request.node.stash[PAGE_KEY].url} "
        f"(TPCD_A11Y=report only reports them; a baseline file accepts known ones):\n{lines}"
    )
    # pytest-bdd calls this hook outside the step's own error handling: report the step as failed, as a step's own
    # exception is (allure-pytest-bdd closes it failed; harness.plugin.reporting attaches the page), then fail.
    request.config.hook.pytest_bdd_step_error(
        request=request,
        feature=feature,
        scenario=scenario,
        step=step,
        step_func=step_func,
        step_func_args=step_func_args,
        exception=error,
    )
    raise error
