"""The HTML report: built offline by Allure 3, a single file, and with no call to any outside host."""

from __future__ import annotations

import json
import shutil
import subprocess
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


def _project_with_one_result(
    tmp_path: Path, status: str = "passed", tags: tuple[str, ...] = ("doc-step-2",), trace: str = ""
) -> Path:
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
        "labels": [{"name": "tag", "value": tag} for tag in tags],
        "statusDetails": {"message": "Locator expected to be visible", "trace": trace},
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


@pytest.mark.parametrize(
    ("status", "tags", "trace", "category"),
    [
        ("failed", ("doc-step-4", "fault"), "", "刻意注入模擬器故障的情境失敗"),
        ("failed", ("doc-step-4",), "", "產品缺陷"),
        (
            "failed",
            ("doc-step-4",),
            "playwright._impl._errors.TargetClosedError: Browser has been closed",
            "環境或測試架構錯誤",
        ),
        ("broken", ("doc-step-4",), "", "環境或測試架構錯誤"),
    ],
    ids=["injected-fault", "product-defect", "browser-crash", "broken"],
)
def test_failures_fall_into_the_right_category(
    tmp_path: Path, status: str, tags: tuple[str, ...], trace: str, category: str
) -> None:
    project = _project_with_one_result(tmp_path, status, tags, trace)
    # The committed rules, in a multi-file build whose data can be read back.
    config = project / "reports" / "check.mjs"
    config.write_text(
        'import { readFileSync } from "node:fs";\n'
        'const rules = JSON.parse(readFileSync(new URL("./categories.json", import.meta.url), "utf8"));\n'
        "export default { categories: { rules }, plugins: { awesome: { options: { singleFile: false } } } };\n",
        encoding="utf-8",
    )
    output = tmp_path / "out"
    results = project / "reports" / "allure-results"
    cli = ROOT / "node_modules" / ".bin" / "allure"
    command = [str(cli), "awesome", str(results), "--config", str(config), "-o", str(output)]
    subprocess.run(command, cwd=project, check=True, capture_output=True)
    written = " ".join(path.read_text(encoding="utf-8") for path in output.rglob("categories.json"))
    assert category in written, written[:2000]
    others = {"刻意注入模擬器故障的情境失敗", "產品缺陷", "環境或測試架構錯誤"} - {category}
    assert not any(other in written for other in others)
