"""Longest first under pytest-xdist: the order comes from the durations the last run recorded in pytest's cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.plugin.balance import DURATIONS_KEY, keep_durations, longest_first

TESTS = """
import time, os, pytest

# at least 0.15 s apart: a busy machine's hiccup in one test's set-up must not reorder their recorded durations
@pytest.mark.parametrize("seconds", [0.15, 0.6, 0.3, 0.0])
def test_wait(seconds):
    with open(os.environ["ORDER_FILE"], "a") as order:  # as it starts
        order.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {seconds}\\n")
    time.sleep(seconds)
"""


def test_longest_first_puts_the_never_timed_at_the_median() -> None:
    durations = {"a": 1.0, "b": 5.0, "c": 3.0}
    assert longest_first(["a", "b", "c", "new"], durations) == ["b", "c", "new", "a"]
    assert longest_first(["x", "y"], {}) == ["x", "y"]  # nothing known: as collected


def _pytest(folder: Path, *args: str) -> dict[str, list[float]]:
    """Run the waits; what each worker started, in order."""
    order = folder / "order.txt"
    order.unlink(missing_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:allure_pytest",
            "-p",
            "harness.plugin.balance",
            *args,
            "test_waits.py",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
        env={"ORDER_FILE": str(order), "PATH": "/usr/bin:/bin"},
    )
    started: dict[str, list[float]] = {}
    for line in order.read_text().splitlines():
        worker, seconds = line.split()
        started.setdefault(worker, []).append(float(seconds))
    return started


def test_a_second_parallel_run_starts_with_the_longest(tmp_path: Path) -> None:
    (tmp_path / "test_waits.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    assert _pytest(tmp_path, "-n", "1") == {"gw0": [0.15, 0.6, 0.3, 0.0]}  # one worker: as collected
    recorded = json.loads((tmp_path / ".pytest_cache" / "v" / DURATIONS_KEY).read_text())
    assert recorded["test_waits.py::test_wait[0.6]"] >= 0.6
    # Two workers: each takes its share longest first (pytest-xdist hands out runs of consecutive tests), so what is
    # left at the end, when one worker may idle, is short.
    started = _pytest(tmp_path, "-n", "2", "--dist", "worksteal")
    assert sorted(wait for waits in started.values() for wait in waits) == [0.0, 0.15, 0.3, 0.6]
    assert all(waits == sorted(waits, reverse=True) for waits in started.values()), started
    assert _pytest(tmp_path) == {"main": [0.15, 0.6, 0.3, 0.0]}  # without xdist: as collected


def test_without_the_cache_the_order_is_as_collected(tmp_path: Path) -> None:
    (tmp_path / "test_waits.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    started = _pytest(tmp_path, "-p", "no:cacheprovider", "-n", "2", "--dist", "worksteal")
    assert sorted(wait for waits in started.values() for wait in waits) == [0.0, 0.15, 0.3, 0.6]
    assert not (tmp_path / ".pytest_cache").exists()


def test_a_fresh_clone_takes_the_order_from_the_committed_durations(tmp_path: Path) -> None:
    (tmp_path / "test_waits.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "tests").mkdir()
    committed = {"test_waits.py::test_wait[0.0]": 9.0, "test_waits.py::test_wait[0.15]": 1.0}
    (tmp_path / "tests" / "durations.json").write_text(json.dumps(committed))
    started = _pytest(tmp_path, "-n", "2", "--dist", "worksteal")  # no cache yet, the rest at their median (5.0)
    order = [0.0, 0.6, 0.3, 0.15]
    assert sorted(wait for waits in started.values() for wait in waits) == sorted(order)
    assert all(waits == sorted(waits, key=order.index) for waits in started.values()), started
    assert (tmp_path / "tests" / "durations.json").read_text() == json.dumps(committed), "the run never writes it"


def test_keep_durations_writes_the_caches_durations_rounded(tmp_path: Path) -> None:
    cached = tmp_path / ".pytest_cache" / "v" / DURATIONS_KEY
    cached.parent.mkdir(parents=True)
    cached.write_text(json.dumps({"b::t": 2.345, "a::t": 10.04}))
    (tmp_path / "tests").mkdir()
    assert keep_durations(tmp_path) == 2
    assert json.loads((tmp_path / "tests" / "durations.json").read_text()) == {"a::t": 10.0, "b::t": 2.3}
