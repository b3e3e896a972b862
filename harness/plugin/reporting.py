"""Report hooks: doc-step markers, a screenshot after every Gherkin step, the trace on failure, environment."""

from __future__ import annotations

import platform
from collections.abc import Generator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import allure
import pytest
from playwright.sync_api import Error as PlaywrightError
from slugify import slugify

from harness import __version__
from harness.plugin.browser import BROWSER_VERSION_KEY, PAGE_KEY
from harness.plugin.citizens import BASE_SEED_KEY
from harness.plugin.services import SETTINGS_KEY

DOC_STEPS = range(1, 25)
# Identifier tags (STYLE.md §3); a mistyped tag fails collection under --strict-markers.
TAGS = {
    "registration": "申請與註冊 (documented steps 1–9)",
    "gold": "金質會員認證 (documented steps 10–24)",
    "negative": "a path the documentation does not show: the portal must refuse clearly",
    "sms": "reads the SMS gateway simulator",
    "mail": "reads the mail simulator",
    "captcha": "uses the reCAPTCHA simulator",
    "netizen": "uses the 網路市民 simulator",
    "registry": "uses the card-services registry simulator",
    "agent": "uses the security-agent simulator",
    "card": "uses the virtual citizen-certificate card",
    "journey": "walks all 24 documented steps in one scenario",
}


def pytest_configure(config: pytest.Config) -> None:
    for step in DOC_STEPS:
        config.addinivalue_line("markers", f"doc-step-{step}: exercises documented step {step} of the seed document")
    for tag, meaning in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {meaning}")


def _attach_screenshot(item: pytest.Item, name: str) -> None:
    page = item.stash.get(PAGE_KEY, None)
    if page is None or page.is_closed():
        return
    try:
        png = page.screenshot(full_page=True)
    except PlaywrightError as error:  # a crashed page must not hide the step's own failure
        allure.attach(str(error), name=f"{name}（無法截圖）", attachment_type=allure.attachment_type.TEXT)
        return
    allure.attach(png, name=name, attachment_type=allure.attachment_type.PNG)


# tryfirst: run before allure-pytest-bdd closes the step, so the picture belongs to that step.
@pytest.hookimpl(tryfirst=True)
def pytest_bdd_after_step(request: pytest.FixtureRequest, step: Any, **_: Any) -> None:
    _attach_screenshot(request.node, f"畫面：{step.keyword} {step.name}")


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, step: Any, **_: Any) -> None:
    _attach_screenshot(request.node, f"失敗當下畫面：{step.keyword} {step.name}")
    page = request.node.stash.get(PAGE_KEY, None)
    if page is not None and not page.is_closed():
        allure.attach(page.content(), name="失敗當下頁面 HTML", attachment_type=allure.attachment_type.HTML)


def _artifact_dir(item: pytest.Item) -> Path:
    """Where pytest-playwright keeps this test's artifacts (its own naming: --output / slugified node id)."""
    folder = slugify(item.nodeid)
    retry = getattr(item, "execution_count", 1) - 1
    return Path(item.config.getoption("--output")).absolute() / (f"{folder}-retry{retry}" if retry > 0 else folder)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """After fixtures close, pytest-playwright has saved a failed test's trace: attach it before allure writes."""
    yield
    folder = _artifact_dir(item)
    for trace in sorted(folder.glob("trace*.zip")) if folder.is_dir() else []:
        name = f"Playwright trace（{trace.name}，以 playwright show-trace 開啟）"
        allure.attach(trace.read_bytes(), name=name, extension="zip")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the report's environment: what was tested, with which browser, harness and data seed."""
    results = session.config.getoption("allure_report_dir", None)
    if not results or not Path(results).is_dir():
        return
    config = session.config
    settings = config.stash[SETTINGS_KEY]
    browser = config.stash.get(BROWSER_VERSION_KEY, None)
    if browser is None and hasattr(config, "workerinput"):
        return  # this worker launched no browser; another process writes the file
    entries = {
        "target": settings.base_url or "embedded portal twin (127.0.0.1)",
        "browser": browser or "not launched",
        "harness": f"tpcd-harness {__version__}",
        "playwright": version("playwright"),
        "python": platform.python_version(),
        "citizen.base_seed": str(config.stash[BASE_SEED_KEY]),
    }
    lines = [f"{key}={value}" for key, value in entries.items()]
    (Path(results) / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
