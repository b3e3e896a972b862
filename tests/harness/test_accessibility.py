"""axe-core (the oracle) on pages made to break one rule; the baseline file and TPCD_A11Y refused when mistaken; the
guide's colours measured as the steps measure them; the keyboard's focus must show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from harness.accessibility import BaselineError, analyse, axe_source, criteria, load_baseline
from harness.guide import GuideCueMismatch, check_colour, colour_cue, guide_steps, hsl, notice
from harness.settings import SettingsError, load_settings
from pages.keyboard import Keyboard

ROOT = Path(__file__).resolve().parents[2]
GOOD = '<!doctype html><html lang="zh-Hant-TW"><title>首頁</title><main><h1>臺北卡3.0</h1>{}</main></html>'


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def test_axe_finds_each_broken_rule_with_its_criterion_and_help(page: Page, tmp_path: Path) -> None:
    source = axe_source(ROOT)
    page.set_content(GOOD.format('<a class="btn" role="button" href="/apply">申請臺北卡</a>'))
    assert analyse(page, source, []) == []
    page.set_content("<!doctype html><html><title>t</title><main><h1>臺北卡3.0</h1></main></html>")
    (finding,) = analyse(page, source, [])
    assert (finding.rule, finding.impact, finding.target, finding.fails) == ("html-has-lang", "serious", "html", True)
    assert finding.wcag == ["3.1.1"]
    assert finding.help_url.startswith("https://dequeuniversity.com/rules/axe/")
    page.set_content(GOOD.format('<p style="color:#f55fae;background:#e4007f">申請臺北卡</p>'))
    assert [f.rule for f in analyse(page, source, [])] == ["color-contrast"]


def test_a_baseline_entry_accepts_only_its_rule_element_and_path(page: Page, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.toml"
    baseline.write_text(
        '[[accept]]\nrule = "color-contrast"\ntarget = "p"\npath = "/legacy"\nreason = "舊版橫幅"\n', encoding="utf-8"
    )
    accepted = load_baseline(baseline)
    page.set_content(GOOD.format('<p style="color:#f55fae;background:#e4007f">申請臺北卡</p>'))
    (finding,) = analyse(page, axe_source(ROOT), accepted)
    assert finding.accepted is None  # about:blank is not under /legacy
    assert accepted[0].covers(finding, "https://portal.example/legacy/home")
    assert not accepted[0].covers(finding, "https://portal.example/apply")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[accept]]\nrule = "color-contrast"\n', "reason is missing or empty"),
        ('[[accept]]\nrule = "color-contrast"\nreason = " "\n', "reason is missing or empty"),
        ('[[accept]]\nrule = "x"\nreason = "y"\nselector = "p"\n', "unknown key 'selector'"),
        ('[[accepted]]\nrule = "x"\n', "unknown table 'accepted'"),
        ("[[accept]\n", "is not valid TOML"),
    ],
)
def test_a_baseline_that_cannot_be_used_is_refused_naming_the_entry(tmp_path: Path, text: str, message: str) -> None:
    baseline = tmp_path / "baseline.toml"
    baseline.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError, match=message):
        load_baseline(baseline)


def test_the_mode_and_the_baseline_path_are_settings_checked_on_load(tmp_path: Path) -> None:
    assert load_settings(root=tmp_path, environ={}).a11y == "fail"
    assert load_settings(root=tmp_path, environ={"TPCD_A11Y": "report"}).a11y == "report"
    with pytest.raises(SettingsError, match="must be one of fail, report, off"):
        load_settings(root=tmp_path, environ={"TPCD_A11Y": "loud"})
    with pytest.raises(SettingsError, match="is no file"):
        load_settings(root=tmp_path, environ={"TPCD_A11Y_BASELINE": "missing.toml"})


def test_wcag_criteria_are_read_from_axes_tags() -> None:
    assert criteria(["cat.color", "wcag2aa", "wcag143", "wcag1410"]) == ["1.4.3", "1.4.10"]


def test_the_guide_is_read_as_24_steps_with_their_anchors_cues_and_notice() -> None:
    steps = guide_steps()
    assert sorted(steps) == list(range(1, 25))
    assert steps[1].labels == ["申請臺北卡"]
    assert steps[1].anchor.startswith("1-zai-shang")
    assert notice(10) == "※目前只限使用Windows7以上版本 IE或Chrome瀏覽器進行安控元件下載和使用。"
    assert [colour_cue(label, "橘色").number for label in ("送出", "登入臺北卡3.0網站")] == [20, 23]
    with pytest.raises(ValueError, match="never calls 「申請臺北卡」 橘色"):
        colour_cue("申請臺北卡", "橘色")


@pytest.mark.parametrize(
    ("label", "colour", "css"),
    [
        ("申請臺北卡", "桃紅色", "rgb(228, 0, 127)"),
        ("申請臺北卡", "桃紅色", "rgb(196, 0, 109)"),  # a darker 桃紅
        ("寄送驗證碼簡訊", "藍色", "rgb(30, 111, 217)"),
        ("下一步", "灰色", "rgb(158, 158, 158)"),
        ("送出", "橘色", "rgb(243, 152, 0)"),
        ("送出", "橘色", "rgb(200, 110, 0)"),  # a darker 橘, for white text
    ],
)
def test_the_guides_colours_hold_for_its_shades(label: str, colour: str, css: str) -> None:
    check_colour(label, colour, css)


def test_another_colour_fails_citing_the_guides_step() -> None:
    with pytest.raises(GuideCueMismatch, match=r"not the guide's 桃紅色 .*taipei-card-gold-member-steps\.md#1-"):
        check_colour("申請臺北卡", "桃紅色", "rgb(30, 111, 217)")
    with pytest.raises(GuideCueMismatch, match="灰色"):
        check_colour("下一步", "灰色", "rgba(30, 111, 217, 1)")
    assert round(hsl("rgb(243, 152, 0)")[0]) == 38


def test_the_keyboards_focus_must_show_where_it_is(page: Page) -> None:
    page.set_content(GOOD.format("<button>申請臺北卡</button><button style='outline:none'>登入</button>"))
    keys = Keyboard(page)
    keys.reach(page.get_by_role("button", name="申請臺北卡"))
    with pytest.raises(AssertionError, match="without any outline or shadow"):
        keys.reach(page.get_by_role("button", name="登入"))
    page.set_content(GOOD.format("<input aria-label='姓名'><div role='button'>無法以 Tab 到達</div>"))
    with pytest.raises(AssertionError, match="never reached"):
        keys.reach(page.get_by_role("button"))
