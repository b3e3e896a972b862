"""%%gherkin in a real kernel: each step shown with its status and the page after it; a failing step with its error
and the page at that moment; the cell's result can be asserted on; the run joins Allure results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.settings import load_settings
from harness.stack import Stack
from tests.notebook.kernel import execute, html_of, images, notebook, text_of

TWO_STEPS = """%%gherkin
假如 市民開啟臺北卡網站
當 市民按下「申請臺北卡」
"""
FAILING = """%%gherkin --continue
那麼 市民看到「金質會員認證」頁面
"""


def test_two_steps_render_with_status_and_image_then_a_failing_step_renders_its_error() -> None:
    nb = execute(
        notebook(
            "%load_ext harness.notebook",
            "%tpcd up --seed 11",
            TWO_STEPS,
            "run = _\nprint(run.passed, [(s.text, s.status, s.screenshot is not None) for s in run.steps])",
            FAILING,
            "failed = _\nprint(failed.passed, failed.failed_step.text)",
            "%tpcd down",
        )
    )
    passed = html_of(nb.cells[2])
    header, steps = passed[0], passed[1:3]
    assert "場景：第 1 格" in header
    for html, text in zip(steps, ("<b>假如</b> 市民開啟臺北卡網站", "<b>當</b> 市民按下「申請臺北卡」"), strict=True):
        assert text in html
        assert 'data-status="passed"' in html
        assert len(images(html)) == 1
    assert text_of(nb.cells[3]).startswith(
        "True [('假如 市民開啟臺北卡網站', 'passed', True), ('當 市民按下「申請臺北卡」', 'passed', True)]"
    )

    failing = html_of(nb.cells[4])[1]
    assert 'data-status="failed"' in failing
    assert "市民看到「金質會員認證」頁面" in failing
    assert "expected the 「金質會員認證」 screen" in failing  # the page object's own message
    assert "選擇會員類型" in failing  # the page it found instead, from Playwright's error
    assert len(images(failing)) == 1  # the page at that moment
    assert text_of(nb.cells[5]).startswith("False 那麼 市民看到「金質會員認證」頁面")


def test_a_cell_run_joins_allure_results_and_their_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TPCD_REPORTS_DIR", str(tmp_path))  # the kernel's: no other notebook test writes there
    results = tmp_path / "notebook" / "allure-results"
    nb = execute(notebook("%load_ext harness.notebook", "%tpcd up", TWO_STEPS, "%tpcd report", "%tpcd down"))
    new = [json.loads(Path(p).read_text(encoding="utf-8")) for p in results.glob("*-result.json")]
    assert [(r["name"], r["status"]) for r in new] == [("第 1 格", "passed")]
    assert [s["name"] for s in new[0]["steps"]] == ["假如 市民開啟臺北卡網站", "當 市民按下「申請臺北卡」"]
    report = Path(text_of(nb.cells[3]).split("：", 1)[1].strip())
    assert report == tmp_path / "notebook" / "allure-report" / "index.html"
    assert "臺北卡3.0 金質會員申請" in report.read_text(encoding="utf-8")  # the project's Allure configuration


def test_a_deployed_portal_is_explored_by_url(tmp_path: Path) -> None:
    with Stack(load_settings(root=tmp_path, environ={})) as deployed:  # stands in for a portal deployed elsewhere
        portal = deployed.portal_url
        nb = execute(
            notebook(
                "%load_ext harness.notebook",
                f"%tpcd up --base-url {portal}",
                "%%gherkin\n假如 市民開啟臺北卡網站\n當 市民按下「申請臺北卡」\n那麼 市民看到「選擇會員類型」頁面",
                "print(_.passed, tpcd.require_stack().portal_url, 'portal' in tpcd.require_stack().urls)",
                "%tpcd down",
            )
        )
    assert text_of(nb.cells[3]) == f"True {portal} False\n"  # no twin of its own: the URL's portal
