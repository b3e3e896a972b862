"""The guide's cues as checks: the colours it names on the rendered controls, its notices on the screen; each failure
cites the guide (harness/guide.py reads it), so the checks hold on any portal that keeps what the guide shows."""

from __future__ import annotations

from playwright.sync_api import expect
from pytest_bdd import parsers, then

from harness.guide import check_colour, guide_steps, notice
from pages.base import Screen


@then(parsers.parse("「{label}」按鈕是文件所說的{colour}"))
def _(screen: Screen, label: str, colour: str) -> None:
    check_colour(label, colour, screen.colour_of(label))


@then(parsers.parse("市民看到文件步驟 {number:d} 的說明"))
def _(screen: Screen, number: int) -> None:
    expect(screen.text(notice(number)), f"the notice of {guide_steps()[number].link}").to_be_visible()
