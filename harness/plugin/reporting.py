"""Report hooks: doc-step markers, a screenshot after every Gherkin step, the trace on failure, environment."""

from __future__ import annotations

import json
import platform
from collections.abc import Generator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import allure
import pytest
from playwright.sync_api import Error as PlaywrightError

from harness import __version__
from harness.guide import GUIDE, doc_anchors
from harness.plugin.browser import ARTIFACTS_KEY, BROWSER_VERSION_KEY, PAGE_KEY, page_version
from harness.plugin.citizens import BASE_SEED_KEY, RUN_KEY
from harness.plugin.services import SETTINGS_KEY, STACK_KEY
from harness.trace import DOC_STEPS

pytest_plugins = ["harness.plugin.scrubbing"]  # every artefact below is scrubbed of the scenario's secrets

# Identifier tags (docs/contributing.md#gherkin); a mistyped tag fails collection under --strict-markers.
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
    "security": "an attack any portal (the twin or a deployment) must withstand; the attacker scripts HTTP",
}


def pytest_configure(config: pytest.Config) -> None:
    for step in DOC_STEPS:
        config.addinivalue_line("markers", f"doc-step-{step}: exercises documented step {step} of the seed document")
    for tag, meaning in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {meaning}")


LAST_SCREENSHOT_KEY = pytest.StashKey[tuple[str, bytes]]()  # the page's version when last taken, and the picture


def _attach_screenshot(item: pytest.Item, name: str, *, fresh: bool = False) -> None:
    """The page as the step left it. A page that did not change since the last step's picture (browser.page_version,
    read before taking one) gets that picture again, unless `fresh`: each step keeps its screenshot, and an unchanged
    one costs a round trip instead of a capture (bench/profile.py shows both)."""
    page = item.stash.get(PAGE_KEY, None)
    if page is None or page.is_closed():
        return
    version = page_version(page)
    last = item.stash.get(LAST_SCREENSHOT_KEY, None)
    if not fresh and version is not None and last is not None and last[0] == version:
        allure.attach(last[1], name=name, attachment_type=allure.attachment_type.JPG)
        return
    try:
        # JPEG: half the cost of PNG per step (bench/journey.py), and the page's text stays sharp at quality 80. The
        # caret as it is: hiding it restyles every input, which the page's count of changes would take for a change.
        picture = page.screenshot(full_page=True, type="jpeg", quality=80, caret="initial")
    except PlaywrightError as error:  # a crashed page must not hide the step's own failure
        allure.attach(str(error), name=f"{name}（無法截圖）", attachment_type=allure.attachment_type.TEXT)
        return
    if version is not None:
        item.stash[LAST_SCREENSHOT_KEY] = (version, picture)
    allure.attach(picture, name=name, attachment_type=allure.attachment_type.JPG)


SEEN_KEY = pytest.StashKey[dict[str, int]]()


@pytest.hookimpl(trylast=True)  # after allure-pytest-bdd has opened the scenario's result
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, **_: Any) -> None:
    """Link the scenario to each documented step it exercises (the report opens from reports/allure-report/)."""
    anchors = doc_anchors()
    for marker in request.node.iter_markers():
        if marker.name.startswith("doc-step-"):
            number = int(marker.name.removeprefix("doc-step-"))
            target = f"../../docs/{GUIDE.name}#{anchors.get(number, '')}"
            allure.dynamic.link(target, name=f"文件步驟 {number}")  # type: ignore[no-untyped-call]


def _attach_new(item: pytest.Item, key: str, entries: list[dict[str, Any]], name: str) -> None:
    """Attach what `entries` gained since the last step (APDUs, agent requests)."""
    seen = item.stash.setdefault(SEEN_KEY, {})
    start = seen.get(key, 0)
    if start > len(entries):  # the card was swapped or the log reset: start over
        start = 0
    if len(entries) > start:
        allure.attach(
            json.dumps(entries[start:], ensure_ascii=False, indent=2),
            name=name,
            attachment_type=allure.attachment_type.JSON,
        )
    seen[key] = len(entries)


def _attach_step_evidence(item: pytest.Item) -> None:
    stack = item.stash.get(STACK_KEY, None)
    if stack is None:
        return
    if stack.card is not None:
        _attach_new(item, "apdu", stack.card.transcript(), "自然人憑證 APDU（PIN 已遮蔽）")
    if stack.desktop is not None:
        _attach_new(item, "agent", stack.agent_requests(), "安控元件收到的請求（PIN 已遮蔽）")


# tryfirst: run before allure-pytest-bdd closes the step, so the evidence belongs to that step.
@pytest.hookimpl(tryfirst=True)
def pytest_bdd_after_step(request: pytest.FixtureRequest, step: Any, **_: Any) -> None:
    _attach_step_evidence(request.node)
    _attach_screenshot(request.node, f"畫面：{step.keyword} {step.name}")


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, step: Any, **_: Any) -> None:
    _attach_step_evidence(request.node)
    _attach_screenshot(request.node, f"失敗當下畫面：{step.keyword} {step.name}", fresh=True)
    page = request.node.stash.get(PAGE_KEY, None)
    if page is not None and not page.is_closed():
        allure.attach(page.content(), name="失敗當下頁面 HTML", attachment_type=allure.attachment_type.HTML)
    stack = request.node.stash.get(STACK_KEY, None)
    if stack is not None:
        allure.attach(
            json.dumps(stack.simulator_state(), ensure_ascii=False, indent=2),
            name="失敗當下各模擬器狀態",
            attachment_type=allure.attachment_type.JSON,
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """After fixtures close, pytest-playwright has saved a failed test's trace and video: attach them before allure
    writes the result."""
    yield
    folder = item.stash.get(ARTIFACTS_KEY, None)
    if folder is None:
        return
    del item.stash[ARTIFACTS_KEY]  # a rerun (pytest-rerunfailures) has a folder of its own
    if not folder.is_dir():
        return
    for trace in sorted(folder.glob("trace*.zip")):
        name = f"Playwright trace（{trace.name}，以 playwright show-trace 開啟）"
        allure.attach(trace.read_bytes(), name=name, extension="zip")
    for video in sorted(folder.glob("*.webm")):
        allure.attach(video.read_bytes(), name=f"錄影（{video.name}）", attachment_type=allure.attachment_type.WEBM)


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
        "stack": f"attached {settings.stack} (shared)" if settings.is_attached_run else "embedded (this run's own)",
        "browser": browser or "not launched",
        "harness": f"tpcd-harness {__version__}",
        "playwright": version("playwright"),
        "python": platform.python_version(),
        "citizen.base_seed": str(config.stash[BASE_SEED_KEY]),
        "citizen.run": str(config.stash[RUN_KEY]),
    }
    mutation = previous_score(settings.path(settings.reports_dir) / "mutation")  # beside the report (tpcd mutate)
    if mutation is not None:
        entries["mutation score"] = mutation
    lines = [f"{key}={value}" for key, value in entries.items()]
    (Path(results) / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")


def previous_score(folder: Path) -> str | None:
    """The last `tpcd mutate` score line for the Allure environment, read from the mutation.json it left beside the
    report (the plugin reads the file, so the kit does not import the mutation front end)."""
    data = folder / "mutation.json"
    try:
        document = json.loads(data.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = document.get("score")
    shown = "—" if value is None else f"{value:.1%}"
    return f"{shown} ({document.get('selection', '')}, {document.get('finished_at', '')}): ../mutation/index.html"
