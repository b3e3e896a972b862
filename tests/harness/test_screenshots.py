"""Every step keeps its screenshot in the report, and a page that did not change since the last one is not captured
again: its version (harness.plugin.browser.page_version) tells, and changes whenever the picture may."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

from harness.plugin.browser import CHANGES_SCRIPT, page_version
from tests.harness.scenario_folder import run_feature

SITE = "http://pages.example.test"
FORM = """<!doctype html><html lang="zh-Hant-TW"><meta charset="utf-8"><title>表單</title><h1>表單</h1>
<label>姓名 <input name="name"></label> <label><input type="checkbox" name="agree"> 同意</label>
<p id="note">尚未送出</p><div id="picture"></div><a href="/other">下一頁</a>"""
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.add_init_script(CHANGES_SCRIPT)

    def serve(route: Route) -> None:
        if route.request.url.endswith(".png"):
            route.fulfill(body=PIXEL, content_type="image/png")
        else:
            route.fulfill(body=FORM if route.request.url.endswith("/") else "<h1>另一頁</h1>", content_type="text/html")

    context.route(f"{SITE}/**", serve)
    tab = context.new_page()
    tab.goto(f"{SITE}/")
    try:
        yield tab
    finally:
        context.close()


def test_an_unchanged_page_keeps_its_version_also_across_the_reports_screenshot(page: Page) -> None:
    before = page_version(page)
    assert before is not None
    page.screenshot(full_page=True, type="jpeg", quality=80, caret="initial")
    assert page_version(page) == before


@pytest.mark.parametrize(
    "change",
    [
        lambda page: page.get_by_label("姓名").fill("王小明"),
        lambda page: page.get_by_label("同意").check(),
        lambda page: page.evaluate("document.getElementById('note').textContent = '已送出'"),
        lambda page: page.get_by_label("姓名").focus(),
        lambda page: page.get_by_role("link", name="下一頁").click(),
        lambda page: page.evaluate(f"document.getElementById('picture').innerHTML = '<img src=\"{SITE}/x.png\">'"),
    ],
    ids=["typed", "ticked", "script", "focus", "navigated", "image"],
)
def test_whatever_may_change_the_picture_changes_the_version(page: Page, change: object) -> None:
    before = page_version(page)
    change(page)  # type: ignore[operator]
    page.wait_for_load_state()
    assert page_version(page) not in (before, None)


def test_a_document_without_the_count_has_no_version(browser: Browser) -> None:
    tab = browser.new_page()  # no CHANGES_SCRIPT in its context: every step's screenshot is taken
    try:
        assert page_version(tab) is None
    finally:
        tab.close()


FEATURE = """# language: zh-TW
功能: 截圖
  @doc-step-1
  場景: 首頁
    假如 市民開啟臺北卡網站
    那麼 市民看到「臺北卡3.0」頁面
    當 市民按下「申請臺北卡」
"""


def test_each_step_has_its_screenshot_and_an_unchanged_page_the_same_picture(tmp_path: Path) -> None:
    done = run_feature(tmp_path, FEATURE)
    results = tmp_path / "results"
    assert done.returncode == 0, done.stdout[-3000:]

    (result_file,) = results.glob("*-result.json")
    steps = json.loads(result_file.read_text(encoding="utf-8"))["steps"]
    pictures = []
    for step in steps:
        (shot,) = [a for a in step["attachments"] if a["type"] == "image/jpg"]
        assert shot["name"] == f"畫面：{step['name']}"
        pictures.append(hashlib.sha256((results / shot["source"]).read_bytes()).hexdigest())
    opened, seen, pressed = pictures
    assert opened == seen  # nothing changed between: the same picture, not captured again
    assert pressed != seen
