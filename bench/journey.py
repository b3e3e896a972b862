"""The whole journey (all 24 steps, by phone): the harness's scenario against the same actions as a bare script.

Harness: the journey scenario in `pytest steps` between two short scenarios, so that the worker's start-up (stack,
Playwright, browser) and its teardown are theirs, as in a suite run; its duration from JUnit XML (set-up, steps with
pytest-bdd, the plugin and per-step evidence, teardown), and where that time went (bench.profiler). Bare: the same
screens driven straight through the page objects on one stack and one browser, no pytest. Both with the suite's
simulated waits (harness.settings.SUITE_PACE). Median over RUNS each; the ratio is the harness's overhead.
Targets: ≤ 4 s, ratio ≤ 1.2. Run: `.venv/bin/python -m bench.journey [RUNS]`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from bench.profile import load, print_buckets, print_steps, pytest_steps, tests_of
from domain.card import card_holder
from harness.citizens import card_services, make_citizen
from harness.codes import CodeReader
from harness.settings import SUITE_PACE, load_settings
from harness.stack import Stack
from pages.agent import InstallerWizard, TrayIcon
from pages.flows import go_gold, verify_real_name
from pages.gold import LoginPage
from simulators.agent import AgentClient
from simulators.mail import MailClient
from simulators.registry import RegistryClient
from simulators.sms import SmsClient

ROOT = Path(__file__).resolve().parents[1]


SCENARIOS = "steps/test_scenarios.py::test_"
JOURNEY = SCENARIOS + "市民以管道驗證一路完成金質會員申請[手機]"
# Steps 1–3 only: the worker starts up in the first, and stops in the teardown of the last.
BEFORE, AFTER = SCENARIOS + "市民從臺北卡網站首頁開始申請", SCENARIOS + "市民選擇成為金質會員"


def harness_run(profiles: Path) -> float:
    """One pytest run with the journey between two short scenarios; the journey's own duration from JUnit XML."""
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        report = ["--junitxml", str(junit), "--alluredir", str(Path(folder) / "allure")]
        pytest_steps([BEFORE, JOURNEY, AFTER, *report], profiles)
        cases = ET.parse(junit).getroot().iter("testcase")
        return next(float(case.get("time", "0")) for case in cases if "一路完成" in case.get("name", ""))


def bare_run(stack: Stack, browser: Browser, seed: int) -> float:
    """The same 24 steps through the page objects, timed from the first page to 已實名."""
    settings = stack.settings
    citizen = make_citizen(seed)
    stack.reset()
    assert stack.card is not None
    stack.card.insert(card_holder(citizen))
    with (
        SmsClient(stack.urls["sms"]) as sms,
        MailClient(stack.urls["mail_api"]) as mail,
        AgentClient(stack.urls["agent_desktop"]) as agent,
        RegistryClient(stack.urls["registry"]) as registry,
    ):
        agent.uninstall()
        registry.set_holdings(citizen.id_number, card_services(citizen))
        codes = CodeReader(sms, mail)
        context = browser.new_context(
            base_url=stack.portal_url,
            locale="zh-TW",
            user_agent=settings.user_agent,
            accept_downloads=True,
        )
        began = time.perf_counter()
        page = context.new_page()
        gold = go_gold(page, citizen, codes.newest)
        gold.download_agent()
        installer = InstallerWizard.run(page, agent.installer_url)
        installer.press_in_turn(["執行", "確認", "是", "下一步"])
        installer.accept_licence()
        installer.press_in_turn(["下一步", "安裝", "完成"])
        TrayIcon.look(page, agent.tray_url).expect_state("Ready")
        done = verify_real_name(gold.reload(), citizen)
        account = done.account_number()
        done.press("登入臺北卡3.0網站")
        LoginPage(page).expect_shown().log_in(account, citizen.password)
        elapsed = time.perf_counter() - began
        context.close()
        return elapsed


def main(runs: int = 5) -> None:
    """Print both medians and their ratio, then where the harness's journey spent its time."""
    with tempfile.TemporaryDirectory() as folder:
        harness = [harness_run(Path(folder)) for _ in range(runs)]
        journeys = [test for test in tests_of(load(Path(folder))) if "一路完成" in test["nodeid"]]
    settings = load_settings(root=ROOT).paced(SUITE_PACE)
    with Stack(settings) as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(settings.chromium))
        bare = [bare_run(stack, browser, 9000 + run) for run in range(runs)]
        browser.close()
    h, b = statistics.median(harness), statistics.median(bare)
    print(
        f"journey (24 steps, by phone), median of {runs}: harness {h:.2f} s, bare page-object script {b:.2f} s, "
        f"ratio {h / b:.2f} (targets: ≤ 4 s, ratio ≤ 1.2)"
    )
    print_buckets(journeys, "  the harness's journey")
    print_steps(journeys, top=10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
