"""`tpcd certify-agent` from a notebook: run as a subprocess (its own pytest session and pcscd), read back as
outcomes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness import certify
from harness.notebook.lifecycle import Lifecycle


def certify_agent(lifecycle: Lifecycle, report_dir: Path | None = None) -> list[certify.RequirementResult]:
    """`tpcd certify-agent` against the notebook's 安控元件, its card under the harness's control; every
    requirement's outcome (the suite's own Allure results and summary go to `report_dir`)."""
    stack = lifecycle.require_stack()
    target = report_dir or lifecycle.workdir / "certify-agent"
    command = [sys.executable, "-m", "harness.cli", "certify-agent", "--agent-url", stack.urls["agent"]]
    command += ["--control-url", stack.urls["agent_desktop"], "--report", str(target)]
    finished = subprocess.run(command, cwd=lifecycle.root, check=False, capture_output=True, text=True)
    if finished.returncode not in (0, 1):  # 1: some requirement failed, which the outcomes show
        raise RuntimeError(f"certify-agent could not run ({finished.returncode}):\n{finished.stderr[-2000:]}")
    return certify.outcomes(target / "allure-results")
