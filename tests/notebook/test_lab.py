"""`tpcd notebook` starts JupyterLab on loopback with the project's kernel, prints the URL to open, and stops on
SIGTERM; a failed scenario is reopened as a notebook JupyterLab can open."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from harness.notebook.lab import OFFLINE, free_port, reopened
from harness.settings import load_settings
from tests.notebook.allure_result import allure_result
from tests.notebook.kernel import ROOT


def test_jupyterlab_starts_offline_on_the_projects_kernel_and_stops() -> None:
    port = free_port("127.0.0.1")
    lab = subprocess.Popen(
        [sys.executable, "-m", "harness.notebook", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert lab.stdout is not None
        line = lab.stdout.readline()
        url = line.split("：", 1)[1].strip()
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/notebooks/01_journey_step_by_step.ipynb?token=")
        token = url.split("token=", 1)[1]
        deadline = time.monotonic() + 60
        while True:
            try:
                specs = requests.get(f"http://127.0.0.1:{port}/api/kernelspecs", params={"token": token}, timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
                assert lab.poll() is None, "JupyterLab exited"
                time.sleep(0.2)
        assert "tpcd" in specs.json()["kernelspecs"]
        command_line = Path(f"/proc/{lab.pid}/cmdline").read_bytes()  # what any local user reads with `ps`
        assert b"jupyter" in command_line
        assert token.encode() not in command_line
        assert requests.get(f"http://127.0.0.1:{port}/api/kernelspecs", timeout=5).status_code == 403  # no token
        assert (ROOT / "notebooks" / "01_journey_step_by_step.ipynb").is_file()  # paired by jupytext
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(30)
        if lab.stdout is not None:
            lab.stdout.close()
    assert lab.returncode is not None


def test_offline_options_turn_off_every_fetch() -> None:
    assert "--LabApp.news_url=None" in OFFLINE
    assert "--LabApp.extension_manager=readonly" in OFFLINE
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in OFFLINE


def test_a_failed_scenario_is_reopened_by_name_as_a_notebook_under_reports(tmp_path: Path) -> None:
    settings = load_settings(root=ROOT).replace(reports_dir=tmp_path)
    settings.allure_results.mkdir(parents=True)
    allure_result(settings.allure_results, name="市民設定密碼")
    path = reopened(settings, "設定密碼")
    assert path.parent == tmp_path / "notebooks"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert "".join(notebook["cells"][-1]["source"]).startswith("%%gherkin --continue")
