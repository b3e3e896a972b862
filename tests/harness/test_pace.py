"""The suite's short simulated waits are still seen by the steps that check them, and those steps do check: the
scenario that installs the 安控元件 passes with the suite's pace (Loading, then Ready, then Going after F5), and
fails at the Loading step when the start-up takes no time, at the Going step when Going lasts no time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.settings import PERSON_PACE, SUITE_PACE, load_settings

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "市民下載並安裝安控元件，重新整理後安控元件開始運作"
LOADING, READY = "那麼 右下角的安控元件顯示「Loading」", "而且 右下角的安控元件接著顯示「Ready」"
GOING = "而且 右下角的安控元件接著顯示「Going」"


def _install_scenario(tmp_path: Path, **environment: str) -> dict[str, Any]:
    """The Gherkin scenario that installs the agent, run as `make run` runs it; its Allure result."""
    results = tmp_path / "results"
    command = [sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:cacheprovider", "-k", "安控元件開始運作"]
    command += ["--alluredir", str(results)]
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **environment}, capture_output=True, text=True, check=False, timeout=300
    )
    (found,) = [json.loads(path.read_text(encoding="utf-8")) for path in results.glob("*-result.json")]
    assert found["name"] == INSTALL, done.stdout[-2000:]
    result: dict[str, Any] = found
    return result


def _statuses(result: dict[str, Any]) -> dict[str, str]:
    return {step["name"]: step["status"] for step in result["steps"]}


def test_the_suite_runs_with_short_waits_and_a_person_gets_realistic_ones(tmp_path: Path) -> None:
    assert SUITE_PACE.agent_loading_seconds < PERSON_PACE.agent_loading_seconds
    assert SUITE_PACE.tray_refresh_seconds < PERSON_PACE.tray_refresh_seconds
    assert SUITE_PACE.agent_timeout < PERSON_PACE.agent_timeout
    assert load_settings(root=tmp_path, environ={}).pace == PERSON_PACE  # `tpcd up`, a notebook
    chosen = load_settings(root=tmp_path, environ={"TPCD_AGENT_LOADING_SECONDS": "3"}).paced(SUITE_PACE)
    assert chosen.pace.agent_loading_seconds == 3.0  # one set by the user stays theirs under pytest too
    assert chosen.pace.agent_going_seconds == SUITE_PACE.agent_going_seconds


def test_with_the_suites_waits_the_steps_see_loading_then_ready_then_going(tmp_path: Path) -> None:
    result = _install_scenario(tmp_path)
    assert result["status"] == "passed", result.get("statusDetails")
    steps = _statuses(result)
    assert steps[LOADING] == steps[READY] == steps[GOING] == "passed"


@pytest.mark.parametrize(
    ("variable", "failing"), [("TPCD_AGENT_LOADING_SECONDS", LOADING), ("TPCD_AGENT_GOING_SECONDS", GOING)]
)
def test_a_wait_that_takes_no_time_is_caught_by_the_step_that_checks_it(
    tmp_path: Path, variable: str, failing: str
) -> None:
    result = _install_scenario(tmp_path, **{variable: "0"})
    assert result["status"] == "failed"
    steps = list(_statuses(result).items())
    names = [name for name, _ in steps]
    first_failed = next(index for index, (_, status) in enumerate(steps) if status != "passed")
    assert names[first_failed] == failing, steps
    assert steps[first_failed][1] == "failed", steps
