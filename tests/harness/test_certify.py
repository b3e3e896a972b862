"""`tpcd certify-agent` against our agent simulator: in the stack, and started alone as a vendor would run theirs."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from harness.certify import outcomes
from harness.certify.requirements import REQUIREMENTS
from harness.certify.suite.conftest import HOLDER
from harness.settings import load_settings
from harness.stack import Stack
from simulators.card import CardHolder

ROOT = Path(__file__).resolve().parents[2]


def _certify(tmp_path: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "certify-agent", *args, "--report", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_stacks_agent_passes_every_requirement(tmp_path: Path) -> None:
    with Stack(load_settings(root=ROOT, environ={})) as stack:
        code, output = _certify(
            tmp_path, "--agent-url", stack.urls["agent"], "--control-url", stack.urls["agent_desktop"]
        )
    assert code == 0, output[-4000:]
    rows = outcomes(tmp_path / "allure-results")
    assert [row.requirement for row in rows] == list(REQUIREMENTS)
    assert {row.status for row in rows} == {"passed"}, [(r.requirement, r.status, r.detail) for r in rows]
    summary = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert f"{len(REQUIREMENTS)} / {len(REQUIREMENTS)} requirements passed" in summary
    assert "1.3.4.103349" in summary
    assert (tmp_path / "allure-report" / "index.html").exists()


def test_an_agent_started_alone(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "simulators.agent", "--port", "0"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as agent:
        try:
            assert agent.stdout is not None
            line = agent.stdout.readline()
            agent_url, control_url = re.findall(r"http://127\.0\.0\.1:\d+", line)[:2]
            code, output = _certify(tmp_path, "--agent-url", agent_url, "--control-url", control_url)
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=20)
    assert code == 0, output[-4000:]
    assert f"/ {len(REQUIREMENTS)} requirements passed" in output


def test_without_card_control_those_requirements_are_not_run(tmp_path: Path) -> None:
    with Stack(load_settings(root=ROOT, environ={})) as stack:
        assert stack.card is not None
        stack.card.insert(CardHolder(**HOLDER))  # the card the suite expects, put in by hand
        code, _ = _certify(tmp_path, "--agent-url", stack.urls["agent"])
    assert code == 0
    statuses = {row.requirement: row.status for row in outcomes(tmp_path / "allure-results")}
    assert statuses["AG-07"] == statuses["AG-10"] == "skipped"
    assert statuses["AG-04"] == "passed"
