"""`%tpcd up --attach` explores a deployed portal against a shared, long-lived stack, as `tpcd run --stack` does:
only the citizen's computer starts in the kernel, and a step reads the code the portal sent through the shared SMS
simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.notebook.lab import LOOPBACK, free_port
from tests.notebook.kernel import ROOT, execute, html_of, notebook, text_of
from tests.tpcd import TPCD, first_line, stop

STEPS_1_TO_6 = """%%gherkin
假如 市民已同意個資使用相關內容
當 市民選擇以手機接收驗證碼並按下「寄送驗證碼簡訊」
而且 市民輸入手機收到的驗證碼
而且 市民勾選「我不是機器人」
而且 市民按下「下一步」
那麼 市民看到「基本資料」頁面
"""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`tpcd up` for a deployment on loopback, and the twin from the configuration it wrote, as its own process."""
    work = tmp_path_factory.mktemp("attach")
    up = [*TPCD, "up", "--portal-config", "dotenv", "--out", str(work / "stack"), "--json"]
    stack = subprocess.Popen(up, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    twin: subprocess.Popen[str] | None = None
    try:
        described = json.loads(first_line(stack, timeout=60))
        port = free_port(LOOPBACK)
        serve = [sys.executable, "-m", "portal", "--config", str(described["portal_config"])]
        serve += ["--listen", LOOPBACK, "--port", str(port)]
        environ = {**os.environ, "PORTAL_DB_PATH": str(work / "portal.sqlite3")}
        twin = subprocess.Popen(serve, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=environ, start_new_session=True)
        portal = f"http://{LOOPBACK}:{port}"
        assert first_line(twin, timeout=30).strip() == f"portal twin listening on {portal}"
        yield work / "stack" / "stack.json", portal
    finally:
        codes = [stop(process) for process in (twin, stack) if process is not None]
    assert codes == [0, 0]


def test_a_notebook_attached_to_a_shared_stack_walks_the_deployed_portal(deployed: tuple[Path, str]) -> None:
    stack_json, portal = deployed
    nb = execute(
        notebook(
            "%load_ext harness.notebook",
            f"%tpcd up --attach {stack_json} --base-url {portal}",
            STEPS_1_TO_6,
            "up = tpcd.require_stack()\nprint(_.passed, up.shared, 'portal' in up.urls, tpcd.lifecycle.run > 0)",
            "%tpcd fault sms s",  # every run shares this gateway: a fault needs a target
            "%tpcd down",
        ),
        allow_errors=True,
    )
    assert all('data-status="passed"' in html for html in html_of(nb.cells[2])[1:7])
    assert text_of(nb.cells[3]) == "True True False True\n"  # shared; no twin of its own; citizens of their own
    assert "would hit every run sharing" in text_of(nb.cells[4])
