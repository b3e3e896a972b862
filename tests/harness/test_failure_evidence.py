"""A failing scenario carries its evidence into the Allure result: screenshot, page HTML, Playwright trace, video."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """# language: zh-TW
功能: 刻意失敗
  @doc-step-1
  場景: 首頁不是會員註冊頁
    假如 市民開啟臺北卡網站
    那麼 市民看到「會員註冊」頁面
"""


def test_failed_scenario_has_screenshot_html_and_trace(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tpcd]\n[tool.pytest.ini_options]\nbdd_features_base_dir = "features/"\n', encoding="utf-8"
    )
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "fail.feature").write_text(FEATURE, encoding="utf-8")
    plugins = ["harness.plugin.services", "harness.plugin.browser", "harness.plugin.citizens"]
    plugins += ["harness.plugin.reporting", "steps.common"]
    (tmp_path / "conftest.py").write_text(f"pytest_plugins = {plugins!r}\n", encoding="utf-8")
    (tmp_path / "test_fail.py").write_text('from pytest_bdd import scenarios\n\nscenarios(".")\n', encoding="utf-8")
    results = tmp_path / "results"
    command = [sys.executable, "-m", "pytest", "-p", "no:allure_pytest", "-p", "no:cacheprovider", "-q"]
    command += ["--alluredir", str(results), "--tracing=retain-on-failure", "--video=retain-on-failure"]
    command += ["--output", str(tmp_path / "pw")]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, check=False)
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
