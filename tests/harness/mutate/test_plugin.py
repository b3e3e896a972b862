"""The plugin each mutant's pytest loads: it refuses a portal that is not the mutant's, and puts the scenarios of the
mutant's documented steps first, quickest first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness.mutate import DURATIONS, MUTANT_DIR, MUTANT_STEPS, PLUGIN, SELECTION, STEPS_ONLY

ROOT = Path(__file__).resolve().parents[3]


def _collect(folder: Path, steps: str, *, steps_only: bool) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(folder), MUTANT_DIR: str(folder), MUTANT_STEPS: steps}
    environ[STEPS_ONLY] = "1" if steps_only else "0"
    command = [sys.executable, "-P", "-m", "pytest", "steps", "-p", PLUGIN, "-n", "0", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, "--collect-only", "-q"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300
    )


def test_a_portal_other_than_the_mutants_stops_the_run(tmp_path: Path) -> None:
    done = _collect(tmp_path, "22", steps_only=False)  # no portal/ in the folder: the project's would be imported
    assert done.returncode != 0
    assert f"not from the mutant in {tmp_path.resolve()}" in done.stdout + done.stderr


def test_the_steps_scenarios_come_first_quickest_first(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "portal", tmp_path / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    done = _collect(tmp_path, "22", steps_only=False)
    assert done.returncode == 0, done.stdout + done.stderr
    collected = [line for line in done.stdout.splitlines() if line.startswith("steps/")]
    selection = json.loads((tmp_path / SELECTION).read_text(encoding="utf-8"))
    steps, rest = selection["steps"], selection["rest"]
    assert steps
    assert rest
    assert len(steps) + len(rest) == len(collected)
    assert [line.rpartition("::")[2] for line in collected] == steps + rest  # the order pytest will run them in
    last_of_step_22 = collected[len(steps) - 1]
    durations = {nodeid: 5.0 for nodeid in collected} | {last_of_step_22: 0.01}
    (tmp_path / DURATIONS).write_text(json.dumps(durations), encoding="utf-8")
    quickest = _collect(tmp_path, "22", steps_only=True)
    assert quickest.returncode == 0, quickest.stdout + quickest.stderr
    reordered = json.loads((tmp_path / SELECTION).read_text(encoding="utf-8"))
    assert reordered["steps"][0] == last_of_step_22.rpartition("::")[2]  # the quickest first
    assert sorted(reordered["steps"]) == sorted(steps)
    assert reordered["rest"] == []  # --steps-only: none of the rest
    assert f"{len(steps)}/{len(collected)} tests collected" in quickest.stdout
