"""The step matrix: tags from features, statuses from results, outlines matched by their examples' names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.trace import TracedScenario, collect_scenarios, coverage

FEATURE = """# language: zh-TW
@doc-step-1
功能: 範例
  @doc-step-2
  場景大綱: 市民以<管道>驗證
    假如 市民開啟臺北卡網站
    @doc-step-3
    例子: 手機
      | 管道 |
      | 手機 |
  場景: 另一個
    假如 市民開啟臺北卡網站
"""


def _write(tmp_path: Path, results: dict[str, str]) -> tuple[Path, Path]:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "a.feature").write_text(FEATURE, encoding="utf-8")
    folder = tmp_path / "results"
    folder.mkdir()
    for index, (name, status) in enumerate(results.items()):
        record = {"fullName": name, "status": status, "stop": 1, "historyId": str(index)}
        (folder / f"{index}-result.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return tmp_path / "features", folder


def test_tags_are_inherited_from_feature_and_examples(tmp_path: Path) -> None:
    features, _ = _write(tmp_path, {})
    found = {s.name: s.doc_steps for s in collect_scenarios(features, tmp_path)}
    assert found == {"市民以<管道>驗證": frozenset({1, 2, 3}), "另一個": frozenset({1})}


def test_outline_results_are_matched_by_their_example_names(tmp_path: Path) -> None:
    features, results = _write(
        tmp_path, {"features/a.feature:市民以手機驗證": "failed", "features/a.feature:另一個": "passed"}
    )
    matrix = {row.step: row for row in coverage(features, tmp_path, results)}
    assert matrix[2].scenarios == [{"scenario": "features/a.feature:市民以<管道>驗證", "status": "failed"}]
    assert matrix[1].status == "failed"
    assert matrix[4].status == "uncovered"


def test_a_template_matches_only_its_own_names() -> None:
    outline = TracedScenario("features/a.feature", "市民以<管道>驗證", frozenset())
    assert outline.matches("features/a.feature:市民以電子郵件驗證")
    assert not outline.matches("features/a.feature:市民以手機登入")
    assert not outline.matches("features/b.feature:市民以手機驗證")


def test_a_tag_naming_no_documented_step_is_refused(tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "b.feature").write_text(FEATURE.replace("@doc-step-2", "@doc-step-25"), encoding="utf-8")
    with pytest.raises(ValueError, match="names no documented step"):
        collect_scenarios(tmp_path / "features", tmp_path)
