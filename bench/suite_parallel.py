"""The whole Gherkin suite with one, two and four pytest-xdist workers (a stack and a browser each): wall times,
speed-ups, how busy the machine's cores were (what bounds the speed-up), each worker's start-up, and where the
one-worker run's time went (bench.profiler).

Run: `.venv/bin/python -m bench.suite_parallel [WORKERS…]` (default 1 2 4). Targets: with -n 2 ≤ 45 s and ≥ 1.7x
faster than -n 1. No speed-up exceeds the cores there are divided by the cores one worker keeps busy; the busy share
counts every process on the machine (other people's runs too), printed beside the load average at the start.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.profile import (
    Profile,
    load,
    print_buckets,
    print_slowest,
    print_startup,
    print_steps,
    pytest_steps,
    tests_of,
)


@dataclass(frozen=True)
class SuiteRun:
    """One run of the suite: its wall time, how busy the machine was, and what each worker measured."""

    workers: int
    wall: float
    busy: float  # the share of the machine's cores busy during the run (this run's processes and anyone else's)
    load: float  # the machine's 1-minute load average when it started
    failed: bool
    profiles: list[Profile]


def _machine_cpu() -> tuple[float, float]:
    """Seconds all cores have been busy, and in all, since boot (/proc/stat): the machine's, whoever kept it busy."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    hertz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hertz, sum(ticks) / hertz


def suite(workers: int) -> SuiteRun:
    """`pytest steps -n <workers>`, timed and profiled."""
    with tempfile.TemporaryDirectory() as folder:
        load_average = os.getloadavg()[0]
        (busy, total), began = _machine_cpu(), time.perf_counter()
        selection = ["steps", "-n", str(workers), "--alluredir", str(Path(folder) / "allure")]
        done = pytest_steps(selection, Path(folder), check=False)
        wall = time.perf_counter() - began
        busy_after, total_after = _machine_cpu()
        share = (busy_after - busy) / (total_after - total)
        return SuiteRun(workers, wall, share, load_average, done.returncode != 0, load(Path(folder)))


def main(counts: list[int]) -> None:
    """Print each run's wall time and speed-up over one worker, then the start-ups and the one-worker profile."""
    runs = [suite(workers) for workers in counts]
    one = next((run for run in runs if run.workers == 1), runs[0])
    cores = os.cpu_count() or 1
    for run in runs:
        speed_up = one.wall / run.wall
        target = " (targets: -n 2 ≤ 45 s, ≥ 1.7x)" if run.workers == 2 else ""
        failed = "  SOME SCENARIOS FAILED" if run.failed else ""
        print(
            f"Gherkin suite -n {run.workers}: {run.wall:6.1f} s, speed-up {speed_up:.2f}x{target}; "
            f"machine {run.busy:.0%} busy ({cores} cores); load average {run.load:.2f} at start{failed}"
        )
    bound = 1 / one.busy
    print(f"  -n 1 kept {one.busy * cores:.2f} of {cores} cores busy: no run here can be {bound:.2f}x as fast or more")
    for run in runs:
        if run.workers > 1:
            print(f"  start-up of the -n {run.workers} workers:")
            print_startup(run.profiles)
    tests = tests_of(one.profiles)
    print_buckets(tests, f"  profile of the -n {one.workers} run")
    print_steps(tests)
    print_slowest(tests)


if __name__ == "__main__":
    main([int(count) for count in sys.argv[1:]] or [1, 2, 4])
