"""A cell's Gherkin made into a feature pytest-bdd parses as it parses features/; an exploration kept as a feature."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser

from harness.notebook.feature import as_feature, exploration_feature


def _parse(text: str, tmp_path: Path) -> object:
    (tmp_path / "cell.feature").write_text(text, encoding="utf-8")
    return FeatureParser(str(tmp_path), "cell.feature").parse()


def test_bare_steps_become_one_scenario_in_zh_tw(tmp_path: Path) -> None:
    feature = _parse(as_feature("假如 市民開啟臺北卡網站\n當 市民按下「申請臺北卡」\n", title="第 1 格"), tmp_path)
    [scenario] = feature.scenarios.values()  # type: ignore[attr-defined]
    assert scenario.name == "第 1 格"
    assert [(step.keyword, step.name) for step in scenario.steps] == [
        ("假如", "市民開啟臺北卡網站"),
        ("當", "市民按下「申請臺北卡」"),
    ]


def test_tags_before_bare_steps_are_the_scenarios(tmp_path: Path) -> None:
    text = as_feature("@sms @fault\n  假如 市民開啟臺北卡網站", title="t")
    [scenario] = _parse(text, tmp_path).scenarios.values()  # type: ignore[attr-defined]
    assert scenario.tags == {"sms", "fault"}


def test_scenarios_get_a_feature_and_a_whole_feature_only_the_language(tmp_path: Path) -> None:
    first = ["@a", "場景: 一", "  假如 市民開啟臺北卡網站", ""]
    outline = ["@b", "場景大綱: 二<x>", "  假如 市民開啟臺北卡網站", "  例子:", "    | x |", "    | 1 |"]
    cell = "\n".join([*first, *outline])
    feature = _parse(as_feature(cell, title="t"), tmp_path)
    assert sorted(feature.scenarios) == ["一", "二<x>"]  # type: ignore[attr-defined]
    whole = "功能: 自己的\n  場景: 三\n    假如 市民開啟臺北卡網站\n"
    assert as_feature(whole, title="t") == "# language: zh-TW\n" + whole
    assert as_feature("# language: zh-TW\n" + whole, title="t") == "# language: zh-TW\n" + whole


def test_an_empty_cell_says_what_to_write() -> None:
    with pytest.raises(ValueError, match="no Gherkin"):
        as_feature("\n  # only a comment\n", title="t")


def test_an_exploration_is_kept_with_its_tags_and_parses(tmp_path: Path) -> None:
    steps = [
        "假如 市民開啟臺北卡網站",
        "# %%browser: screen.fill(citizen)（以步驟取代這一行）",
        "當 市民按下「申請臺北卡」",
    ]
    text = exploration_feature("探索", "市民開始申請", steps, tags=("doc-step-1", "@sms"), description="一行說明")
    assert text.splitlines()[:6] == [
        "# language: zh-TW",
        "功能: 探索",
        "  一行說明",
        "",
        "  @doc-step-1 @sms",
        "  場景: 市民開始申請",
    ]
    [scenario] = _parse(text, tmp_path).scenarios.values()  # type: ignore[attr-defined]
    assert [step.name for step in scenario.steps] == ["市民開啟臺北卡網站", "市民按下「申請臺北卡」"]
    with pytest.raises(ValueError, match="nothing to keep"):
        exploration_feature("探索", "空", [])
