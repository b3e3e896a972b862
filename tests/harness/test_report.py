"""The HTML report: built offline by Allure 3, a single file, and with no call to any outside host."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from harness.report import ReportError, build_report, phones_home, strip_analytics
from harness.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
GTM = (
    '<head><script async src="https://www.googletagmanager.com/gtag/js?id=G-FVWC4GKEYS"></script>\n'
    "<script>window.dataLayer = window.dataLayer || [];function gtag(){dataLayer.push(arguments);}"
    "gtag('js', new Date());gtag('config', 'G-FVWC4GKEYS');</script>\n<title>r</title></head>"
)


def test_strip_analytics_removes_both_tags_and_keeps_the_rest() -> None:
    assert phones_home(GTM)
    cleaned = strip_analytics(GTM)
    assert not phones_home(cleaned)
    assert "<title>r</title>" in cleaned


def _project_with_one_result(tmp_path: Path, status: str = "passed") -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.tpcd]\n", encoding="utf-8")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    shutil.copytree(ROOT / "reports", tmp_path / "reports", ignore=shutil.ignore_patterns("allure-*", "tests", "play*"))
    results = tmp_path / "reports" / "allure-results"
    results.mkdir()
    result = {
        "uuid": str(uuid.uuid4()),
        "name": "市民選擇成為金質會員",
        "fullName": "features/01_apply.feature:市民選擇成為金質會員",
        "status": status,
        "start": 1,
        "stop": 2,
        "labels": [{"name": "tag", "value": "doc-step-2"}],
    }
    (results / f"{result['uuid']}-result.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def test_report_is_one_offline_file(tmp_path: Path) -> None:
    settings = load_settings(root=_project_with_one_result(tmp_path), environ={})
    index = build_report(settings)
    html = index.read_text(encoding="utf-8")
    assert index.name == "index.html"
    assert len(html) > 10_000
    assert not phones_home(html)
    assert "臺北卡3.0 金質會員申請" in html
    assert (settings.allure_results / "categories.json").exists()


def test_report_without_results_says_to_run_the_suite(tmp_path: Path) -> None:
    project = _project_with_one_result(tmp_path)
    shutil.rmtree(project / "reports" / "allure-results")
    with pytest.raises(ReportError, match="run the suite first"):
        build_report(load_settings(root=project, environ={}))


def test_report_without_the_cli_says_how_to_install_it(tmp_path: Path) -> None:
    project = _project_with_one_result(tmp_path)
    (project / "node_modules").unlink()
    with pytest.raises(ReportError, match="npm ci"):
        build_report(load_settings(root=project, environ={}))
