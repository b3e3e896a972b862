"""The suite's accessibility and guide checks fail a twin that breaks them, naming the rule: a twin without its page
language (axe-core's html-has-lang), one whose 桃紅色 button text cannot be read (color-contrast), one whose
「申請臺北卡」 is another colour (the guide's 桃紅色); a baseline accepts a known violation, with its reason.

Each twin is a temp copy of portal/ with one template or style changed (the tracked files are never touched), run by
the suite's own scenario (features/guide_cues.feature) in a child pytest whose project is the temp folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.harness.scenario_folder import run_suite_features

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "桃紅色"  # features/guide_cues.feature: 首頁的「申請臺北卡」是桃紅色按鈕
PINK_BUTTON = ".btn-pink { background: var(--pink); }"


def _twin(folder: Path, file: str, old: str, new: str) -> None:
    """A copy of the portal package in `folder` with `old` replaced by `new` in one of its files."""
    shutil.copytree(ROOT / "portal", folder / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    changed = folder / "portal" / file
    text = changed.read_text(encoding="utf-8")
    assert old in text, f"{file} no longer holds {old!r}: update this test"
    changed.write_text(text.replace(old, new), encoding="utf-8")


def _run(folder: Path, *args: str, environ: dict[str, str] | None = None) -> tuple[int, str, list[dict[str, Any]]]:
    """Run the guide-cue scenario against the twin copied into `folder`: pytest's exit code, output, and the
    accessibility evidence axe-core left in the Allure results."""
    finished = run_suite_features(folder, ["guide_cues.feature"], "-k", SCENARIO, *args, environ=environ)
    evidence = []
    for attachment in (folder / "results").glob("*-attachment.json"):
        document = json.loads(attachment.read_text(encoding="utf-8"))
        if isinstance(document, dict) and "violations" in document:
            evidence.append(document)
    return finished.returncode, finished.stdout + finished.stderr, evidence


def test_the_twin_copy_passes_as_the_twin_does(tmp_path: Path) -> None:
    _twin(tmp_path, "static/portal.css", PINK_BUTTON, PINK_BUTTON)
    code, output, evidence = _run(tmp_path)
    assert code == 0, output
    assert evidence
    assert all(document["violations"] == [] for document in evidence)


@pytest.mark.parametrize(
    ("file", "old", "new", "named"),
    [
        ("templates/base.html", '<html lang="zh-Hant-TW">', "<html>", "html-has-lang"),
        ("static/portal.css", PINK_BUTTON, ".btn-pink { background: var(--pink); color: #f55fae; }", "color-contrast"),
        ("static/portal.css", PINK_BUTTON, ".btn-pink { background: #1e6fd9; }", "the guide's 桃紅色"),
    ],
    ids=["no-page-language", "unreadable-pink-button", "apply-button-blue"],
)
def test_a_twin_that_breaks_a_check_fails_naming_the_rule(
    tmp_path: Path, file: str, old: str, new: str, named: str
) -> None:
    _twin(tmp_path, file, old, new)
    code, output, _ = _run(tmp_path)
    assert code == 1, output
    assert named in output
    if named != "the guide's 桃紅色":  # axe's rule, with its WCAG criterion and help page
        assert f"dequeuniversity.com/rules/axe/4.14/{named}" in output


def test_a_baseline_accepts_a_known_violation_with_its_reason(tmp_path: Path) -> None:
    _twin(tmp_path, "templates/base.html", '<html lang="zh-Hant-TW">', "<html>")
    baseline = tmp_path / "a11y-baseline.toml"
    baseline.write_text('[[accept]]\nrule = "html-has-lang"\nreason = "舊版樣板，下一版修正"\n', encoding="utf-8")
    code, output, evidence = _run(tmp_path, "--a11y-baseline", str(baseline))
    assert code == 0, output
    accepted = [v for document in evidence for v in document["violations"] if v["rule"] == "html-has-lang"]
    assert accepted
    assert all(v["accepted"] == "舊版樣板，下一版修正" for v in accepted)


def test_report_mode_attaches_the_violation_and_lets_the_step_pass(tmp_path: Path) -> None:
    _twin(tmp_path, "templates/base.html", '<html lang="zh-Hant-TW">', "<html>")
    code, output, evidence = _run(tmp_path, environ={"TPCD_A11Y": "report"})
    assert code == 0, output
    found = [v for document in evidence for v in document["violations"]]
    assert {v["rule"] for v in found} == {"html-has-lang"}
    assert all(v["impact"] == "serious" and v["helpUrl"] and v["element"] == "html" for v in found)
