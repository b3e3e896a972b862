"""Render docs/notebook-mid-journey.png: notebook 1, executed, as JupyterLab shows it at the fault injected midway.

    .venv/bin/python scripts/notebook_screenshot.py

Runs the notebook (unless `make test` left an executed copy in reports/tests/notebooks/), opens it in JupyterLab
(offline, headless Chromium) and screenshots the cells around the SMS gateway's fault.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import requests
from nbclient import NotebookClient
from playwright.sync_api import expect, sync_playwright

from harness.notebook.lab import LOOPBACK, free_port, lab_command, lab_environ
from harness.plugin.browser import resolver_rules
from harness.settings import load_settings

NOTEBOOK = "01_journey_step_by_step"
FAULT_CELL = "簡訊服務點數不足"  # the cell to show: the fault's message on the page, step by step
TARGET = Path("docs/notebook-mid-journey.png")


def executed(root: Path) -> Path:
    """Notebook 1 with its outputs: `make test`'s copy, or a run of it now."""
    kept = root / "reports" / "tests" / "notebooks" / f"{NOTEBOOK}.ipynb"
    if not kept.is_file():
        notebook = jupytext.read(root / "notebooks" / f"{NOTEBOOK}.py")
        where = {"metadata": {"path": str(root / "notebooks")}}
        NotebookClient(notebook, timeout=300, kernel_name="tpcd", resources=where).execute()
        kept.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, kept)  # type: ignore[no-untyped-call]
    return kept


def main() -> int:
    """Write the screenshot; print its path."""
    settings = load_settings()
    root = settings.project_root
    shown = root / "reports" / "notebooks" / "screenshot" / f"{NOTEBOOK}.ipynb"
    shown.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(executed(root), shown)
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(shown)], check=True, capture_output=True)
    port, token = free_port(LOOPBACK), "screenshot"
    lab = subprocess.Popen(
        lab_command(settings, port=port),
        cwd=root,
        env=lab_environ(token),
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/api/status", params={"token": token}, timeout=5).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or lab.poll() is not None:
                    raise RuntimeError("JupyterLab did not start") from None
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(settings.chromium), args=resolver_rules(settings, None)
            )
            page = browser.new_page(viewport={"width": 1440, "height": 1080}, locale="zh-TW")
            path = shown.relative_to(root)
            page.goto(f"{base}/lab/workspaces/screenshot/tree/{path}?reset&token={token}")
            cell = page.locator(".jp-Cell").filter(has_text=FAULT_CELL).first
            expect(cell).to_be_visible(timeout=60_000)
            page.add_style_tag(content=".Toastify { display: none }")  # its one-time question about a news feed
            page.keyboard.press("Control+b")  # JupyterLab's shortcut: hide the file browser, more room for the notebook
            cell.evaluate("cell => cell.scrollIntoView({block: 'start'})")
            expect(cell.locator("img").last).to_be_visible()  # the step thumbnails, rendered once in view
            TARGET.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=root / TARGET)
            browser.close()
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(30)
    print(root / TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
