"""axe-core after every step that shows a new screen of the portal: its findings in the step's evidence, and a serious
or critical violation fails the step (TPCD_A11Y=fail, the default; `report` only attaches, `off` runs nothing)."""

from __future__ import annotations

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
SCREEN_KEY = pytest.StashKey[str]()  # the last screen analysed in this scenario
# What makes a screen new: another document (its change counter's name, harness.plugin.browser.CHANGES_SCRIPT) or
# address, another level-1 heading, or a dialog opened or closed (the PIN prompt, the 「是」/「否」 question).
SCREEN_SCRIPT = """() => [
  location.href,
  String(window.__tpcdChanges || "").split(":")[0],
  (document.querySelector("h1") || {}).textContent || "",
  document.querySelectorAll("dialog[open], [role=dialog]:not([hidden])").length,
].join("|")"""


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
    chosen = Path(typed) if typed else settings.a11y_baseline
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
    """Analyse the page when it shows a screen this scenario has not analysed yet; attach what axe-core found."""
    chosen = item.config.stash.get(AXE_KEY, None)
    page = _portal_page(item)
    if chosen is None or page is None:
        return []
    _, source, baseline = chosen
    try:
        screen = page.evaluate(SCREEN_SCRIPT)
        if item.stash.get(SCREEN_KEY, None) == screen:
            return []
        found = analyse(page, source, baseline)
    except PlaywrightError as error:  # a page navigating away mid-analysis: the next step's screen is analysed
        name = f"無障礙檢查（axe-core）未完成：{step_name}"
        allure.attach(str(error), name=name, attachment_type=allure.attachment_type.TEXT)
        return []
    item.stash[SCREEN_KEY] = screen
    title = f"無障礙檢查（axe-core）：{len(found)} 項違規" if found else "無障礙檢查（axe-core）：無違規"
    allure.attach(as_json(page.url, found), name=title, attachment_type=allure.attachment_type.JSON)
    return found


# tryfirst: before allure-pytest-bdd closes the step, so the evidence (and a failure) belongs to that step.
@pytest.hookimpl(tryfirst=True)
def pytest_bdd_after_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any, step_func_args: Any
) -> None:
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
