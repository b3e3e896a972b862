"""The soak tells flaky from broken scenarios by what pytest's own JUnit XML says of each round."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A suite whose first test fails on odd runs only (a counter file beside it), whose second always fails.
SUITE = """
from pathlib import Path

COUNTER = Path(__file__).with_suffix(".count")


def test_flaky():
    runs = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(runs))
    assert runs % 2 == 0, f"odd run {runs}"


def test_broken():
    assert 1 + 1 == 3, "arithmetic"


def test_fine():
    pass
"""


def test_soak_names_the_flaky_and_the_broken_with_their_messages(tmp_path: Path) -> None:
    # Plain pytest, not the harness's plugins: the allure plugins must not both be active (docs/environment.md#reports).
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-p no:allure_pytest"\n')
    (tmp_path / "test_suite.py").write_text(SUITE, encoding="utf-8")
    output = tmp_path / "soak"
    command = [
        sys.executable,
        "-m",
        "bench.soak",
        "--rounds",
        "2",
        "-n",
        "0",
        "--suite",
        str(tmp_path / "test_suite.py"),
    ]
    command += ["--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)

    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("round  1/2: 1 passed, 2 failed, 0 skipped in "), lines
    assert lines[1].startswith("round  2/2: 2 passed, 1 failed, 0 skipped in "), lines
    assert "soak: 2 rounds of 3 scenarios (-n 0): 6 runs, 3 failed; wall time" in done.stdout
    flaky = lines.index("flaky (failed at least once, passed at least once): 1")
    assert lines[flaky + 1] == "  test_suite::test_flaky: failed 1/2 (rounds 1)"
    assert lines[flaky + 2].startswith("    round 1: AssertionError: odd run 1")
    broken = lines.index("broken (failed in every round it ran): 1")
    assert lines[broken + 1] == "  test_suite::test_broken: failed 2/2 (rounds 1, 2)"
    assert lines[broken + 2].startswith("    rounds 1, 2: AssertionError: arithmetic")
    summary = json.loads((output / "summary.json").read_text(encoding="utf-8"))
    assert [len(round_["outcomes"]) for round_ in summary["rounds"]] == [3, 3]
    assert (output / "round-02" / "junit.xml").exists()
