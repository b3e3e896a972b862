"""Twins equivalent to the portal twin pass the suite: it follows the guide, not the twin's build.

First what makes each variant a different build (its own addresses, the twin's answering 404, its chrome), checked
over HTTP; then a selection of the Gherkin suite that reaches every screen (the journey and each kind of mid-journey
start) against each variant, in child pytest runs at once. The whole suite against each runs in CI
(.github/workflows/equivalent-portals.yml).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute

from harness.profile import load_profile
from pages import attacker
from pages.attacker import Tab
from pages.register import VerifyContactPage
from portal import PortalSettings
from portal.routes import apply, contact, gold, login, member, profile
from simulators.serving import RunningServer, stop_together
from tests.portals.variants import RENAMED_PATHS, VARIANTS, Rewritten

ROOT = Path(__file__).resolve().parents[2]
PAGES = (apply, contact, profile, member, gold, login)  # the twin's routers of pages and forms (portal/app.py)
# Scenario (as the report names it) → its -k keyword and what it reaches: together every screen (the journey scans
# the QR code too), each kind of mid-journey start, the home page's links to the login and the member's page, the
# 網路市民 callback, the attacker's HTTP walk.
SELECTION = {
    "市民以手機驗證，一路完成金質會員申請": ("一路完成金質會員申請 and 手機", "the journey in the browser, steps 1–24"),
    "未勾選「我不是機器人」時「下一步」無法按下": (
        "未勾選我不是機器人時下一步無法按下",
        "arrives at contact verification",
    ),
    "市民從網路市民帶入基本資料": ("市民從網路市民帶入基本資料", "arrives at 基本資料; 網路市民 and back"),
    "市民按「否」以一般會員進入臺北卡網站": ("市民按否以一般會員進入臺北卡網站", "arrives at 註冊完成"),
    "PIN 碼錯誤三次後鎖卡，會員資料不變": ("pin_碼錯誤三次後鎖卡", "arrives at 金質會員認證; 會員專區 by link"),
    "市民登出後，被複製走的工作階段也隨之失效": ("市民登出後被複製走的工作階段也隨之失效", "arrives at 會員專區; 登出"),
    "帳號鎖定的時間過後，市民可以正常登入": ("帳號鎖定的時間過後", "登入 by the home page's link, browser and HTTP"),
}


def _settings(tmp_path: Path) -> PortalSettings:
    return PortalSettings(db_path=tmp_path / "portal.sqlite3", secret_key="variant", twin_controls=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Every variant served on loopback: name → its URL."""
    servers: dict[str, RunningServer] = {}
    apps: list[FastAPI] = []
    try:
        for name, variant in VARIANTS.items():
            app = variant.build(_settings(tmp_path / name))
            apps.append(app)
            servers[name] = RunningServer(app, name=name, host="127.0.0.1", port=0, timeout=10)
        yield {name: server.url for name, server in servers.items()}
    finally:
        stop_together(list(servers.values()))
        for app in apps:
            app.state.store.close()


def test_the_renamed_twin_renames_every_page_of_the_twin() -> None:
    twin = {route.path for routes in PAGES for route in routes.router.routes if isinstance(route, APIRoute)}
    assert twin == set(RENAMED_PATHS)
    assert not set(RENAMED_PATHS.values()) & twin  # not one address in common


def test_each_variant_serves_its_own_home_and_the_twin_s_addresses_answer_404(served: dict[str, str]) -> None:
    for name, url in served.items():
        profile = load_profile(VARIANTS[name].profile)
        home = requests.get(profile.home_url(url), timeout=10)
        assert home.status_code == 200, name
        assert "<h1>臺北卡3.0</h1>" in home.text, name
        assert f">{profile.links.login}</a>" in home.text, name
    for path in ("/", "/apply", "/register/contact", "/gold/verify", "/login", "/static/portal.css"):
        for name in ("renamed", "prefixed"):
            assert requests.get(served[name] + path, timeout=10).status_code == 404, (name, path)


def test_the_renamed_twin_links_and_redirects_to_its_own_addresses(served: dict[str, str]) -> None:
    url = served["renamed"]
    home = requests.get(url + "/zh-tw/index", timeout=10).text
    assert 'href="/zh-tw/member-type"' in home
    assert 'href="/assets/portal.css"' in home
    assert requests.get(url + "/assets/agent.js", timeout=10).status_code == 200
    refused = requests.post(url + "/zh-tw/terms", allow_redirects=False, timeout=10)
    assert refused.status_code in {303, 400, 403}
    member = requests.get(url + "/zh-tw/my", allow_redirects=False, timeout=10)
    assert member.status_code == 303
    assert member.headers["location"].startswith("/zh-tw/")


def test_the_prefixed_twin_stays_under_its_prefix(served: dict[str, str]) -> None:
    page = requests.get(served["prefixed"] + "/tpcd/", timeout=10).text
    assert 'href="/tpcd/apply"' in page
    assert 'href="/tpcd/static/portal.css"' in page
    assert requests.get(served["prefixed"] + "/tpcd/static/portal.css", timeout=10).status_code == 200
    script = requests.get(served["prefixed"] + "/tpcd/static/agent.js", timeout=10).text
    assert '"/popupForm"' in script  # the 安控元件's own address is not the portal's
    assert "/gold/" not in script  # what 步驟二 calls, its page declares (data-nonce-url, data-verify-url)


def test_the_http_walk_reaches_the_renamed_contact_page_from_home_and_remembers_where(served: dict[str, str]) -> None:
    url = served["renamed"]
    tab = Tab(url, None, home=load_profile(VARIANTS["renamed"].profile).home_url(url))
    try:
        with pytest.raises(LookupError, match="never shown here"):
            tab.open(VerifyContactPage)  # no address of the suite's own
        attacker.apply(tab)
        assert tab.seen[VerifyContactPage.TITLE] == url + "/zh-tw/verification"
        assert tab.open(VerifyContactPage).title == VerifyContactPage.TITLE
    finally:
        tab.close()


def test_chrome_repeats_the_steps_words_outside_and_around_the_content(served: dict[str, str]) -> None:
    navigation = requests.get(served["navigation"] + "/", timeout=10).text
    assert navigation.count(">申請臺北卡</a>") == 3  # the page's own button, the navigation's, the footer's
    assert navigation.count(">登入</a>") == 3
    layout = requests.get(served["layout"] + "/", timeout=10).text
    assert '<nav aria-label="導覽路徑"' in layout
    assert 'class="variant-grid"' in layout
    assert ">會員登入</a>" in layout


@pytest.mark.parametrize("name", ["renamed", "prefixed"])
def test_the_netizen_callback_a_route_computes_behind_a_variant_is_the_one_its_profile_names(name: str) -> None:
    """A route at the twin's callback path computes its own URL as the twin's 網路市民 adapter does (url_for): served
    as the variant, it is the callback the variant's profile registers."""
    probe = FastAPI()

    @probe.get("/register/netizen/callback", name="netizen_callback")
    def callback(request: Request) -> str:
        return str(request.url_for("netizen_callback"))

    @probe.post("/register/netizen")
    def start(request: Request) -> str:
        return str(request.url_for("netizen_callback"))

    variant = VARIANTS[name]
    probe.add_middleware(Rewritten, rename=variant.rename, decorate=variant.decorate)
    server = RunningServer(probe, name=name, host="127.0.0.1", port=0, timeout=10)
    try:
        expected = load_profile(variant.profile).netizen_callback_url(server.url)
        assert requests.get(expected, timeout=10).json() == expected
        assert requests.post(server.url + variant.rename("/register/netizen"), timeout=10).json() == expected
        assert requests.get(server.url + "/register/netizen/callback", timeout=10).status_code == 404
    finally:
        stop_together([server])


def _child(name: str, reports: Path) -> subprocess.Popen[str]:
    """The selection against variant `name`, its output in `reports`/output.txt."""
    selection = " or ".join(f"({keyword})" for keyword, _ in SELECTION.values())
    command = [sys.executable, "-m", "pytest", "steps", "-p", "tests.portals.plugin", "--portal-variant", name]
    command += ["-n", "0", "-p", "no:cacheprovider", "-k", selection, "--alluredir", str(reports / "allure-results")]
    command += ["--output", str(reports / "playwright"), "--tracing", "retain-on-failure"]
    environ = {key: value for key, value in os.environ.items() if key != "TPCD_PORTAL_PROFILE"}
    # A person's pace of the 安控元件's Loading and Going (the suite's is 0.6 s and 2 s): two runs at once on a busy
    # machine must still see each state in the journey.
    environ |= {"TPCD_AGENT_LOADING_SECONDS": "1.5", "TPCD_AGENT_GOING_SECONDS": "5"}
    reports.mkdir(parents=True)
    with (reports / "output.txt").open("w", encoding="utf-8") as output:
        return subprocess.Popen(command, cwd=ROOT, env=environ, stdout=output, stderr=subprocess.STDOUT, text=True)


def _statuses(reports: Path) -> dict[str, str]:
    found: dict[str, Any] = {}
    for result in (reports / "allure-results").glob("*-result.json"):
        record = json.loads(result.read_text(encoding="utf-8"))
        found[record["name"]] = record["status"]
    return found


def _why(reports: Path) -> str:
    """The failures a child run reported: its error lines and summary."""
    lines = (reports / "output.txt").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.startswith(("E ", "FAILED", "ERROR", "=")))[-6000:]


def test_a_selection_reaching_every_screen_passes_against_each_variant(tmp_path: Path) -> None:
    """Two variants at a time (each a stack and a Chromium of its own): a busy machine keeps its waits in time."""
    codes: dict[str, int] = {}
    names = list(VARIANTS)
    for wave in (names[:2], names[2:]):
        runs = {name: _child(name, tmp_path / name) for name in wave}
        codes |= {name: run.wait(timeout=900) for name, run in runs.items()}
    failed = {name: _why(tmp_path / name) for name, code in codes.items() if code != 0}
    assert not failed, failed
    for name in VARIANTS:
        assert _statuses(tmp_path / name) == dict.fromkeys(SELECTION, "passed"), name
