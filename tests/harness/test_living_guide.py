"""`tpcd guide` writes the 24 pages of the living guide from a real run's evidence (the journey), flags where a screen
lacks what the guide names, and tabulates a @fault scenario's fault in protocol terms beside the citizen's message."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from harness.cli import main
from harness.guide import guide_steps
from harness.living_guide import Evidence, differences
from tests.harness.scenario_folder import run_suite_features


def test_tpcd_guide_writes_a_page_per_documented_step_and_the_fault_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finished = run_suite_features(
        tmp_path, ["journey.feature", "02_verify_contact.feature"], "-k", "(一路完成金質會員申請 and 手機) or 點數不足"
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    out = tmp_path / "guide"
    assert main(["guide", "--results", str(tmp_path / "results"), "--out", str(out)]) == 0
    pages = sorted(out.glob("step-*.html"))
    assert [page.name for page in pages] == [f"step-{n:02d}.html" for n in range(1, 25)]
    assert (out / "index.html").is_file()
    step_one = (out / "step-01.html").read_text(encoding="utf-8")
    assert "滑鼠點擊桃紅色按鈕[申請臺北卡]" in step_one  # the guide's own words
    assert '<img src="step-01.jpg"' in step_one
    assert (out / "step-01.jpg").read_bytes()[:2] == b"\xff\xd8"  # the screenshot the run took, a JPEG
    assert "畫面與文件的用語一致" in step_one
    assert "0 步與文件不同" in capsys.readouterr().out  # the twin says what the guide says, at every step
    with (out / "faults.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    (row,) = [row for row in rows if row["模擬器"] == "sms"]
    assert row["文件步驟"] == "4"
    assert row["故障（協定用語）"] == "SmsFault.NO_POINTS（Mitake SmSend statuscode s）"
    assert "簡訊服務點數不足" in row["市民看到的訊息"]
    assert "SmsFault.NO_POINTS" in (out / "faults.html").read_text(encoding="utf-8")


def test_a_screen_without_the_guides_button_or_notice_is_flagged() -> None:
    guide = guide_steps()
    home = Evidence(texts=[{"text": "臺北卡3.0\n立即申請"}])
    assert differences(guide[1], home) == ["文件說的「申請臺北卡」在畫面上找不到"]
    gold = Evidence(texts=[{"text": "金質會員認證\n下載安控元件"}])
    assert differences(guide[10], gold) == [f"文件的說明「{guide[10].notices[0]}」在畫面上找不到"]
    assert differences(guide[1], Evidence(texts=[{"text": "申請臺北卡"}])) == []
    assert differences(guide[1], None)  # no evidence is said so, not taken for agreement


def test_no_results_is_one_line_and_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guide", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "guide")]) == 2
    assert "no test results in" in capsys.readouterr().err
