"""A failing scenario carries its evidence into the Allure result: screenshot, page HTML, Playwright trace, video."""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness.scenario_folder import run_feature

FEATURE = """# language: zh-TW
功能: 刻意失敗
  @doc-step-1
  場景: 首頁不是會員註冊頁
    假如 市民開啟臺北卡網站
    那麼 市民看到「會員註冊」頁面
"""


def test_failed_scenario_has_screenshot_html_and_trace(tmp_path: Path) -> None:
    evidence = ["--tracing=retain-on-failure", "--video=retain-on-failure", "--output", str(tmp_path / "pw")]
    done = run_feature(tmp_path, FEATURE, *evidence)
    results = tmp_path / "results"
    assert done.returncode == 1, done.stdout[-3000:]

    (result_file,) = results.glob("*-result.json")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result["status"] == "failed"
    assert "「會員註冊」" in result["statusDetails"]["message"]
    failing_step = result["steps"][-1]
    kinds = {a["type"] for a in failing_step["attachments"]}
    assert {"image/jpg", "text/html"} <= kinds
    traces = [a for a in result["attachments"] if a["name"].startswith("Playwright trace")]
    assert traces, [a["name"] for a in result["attachments"]]
    assert (results / traces[0]["source"]).stat().st_size > 1000
    videos = [a for a in result["attachments"] if a.get("type") == "video/webm"]
    assert videos, [a["name"] for a in result["attachments"]]
    assert (results / videos[0]["source"]).stat().st_size > 1000
