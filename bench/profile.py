"""Where the Gherkin suite's time goes: scenarios, steps and workers' start-up, from bench.profiler's JSON.

Run: `.venv/bin/python -m bench.profile [PYTEST ARGS…]` (default: the whole suite, one worker), e.g.
`python -m bench.profile -k "一路完成 and 手機"`. bench.journey and bench.suite_parallel print the same tables for
the runs they time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.profiler import PROFILE_DIR

ROOT = Path(__file__).resolve().parents[1]
Profile = dict[str, Any]


def pytest_steps(args: Sequence[str], profiles: Path, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """`pytest ARGS` (scenarios of steps/: the folder, node ids) with the profiler writing into `profiles` (the run's
    own output captured)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench.profiler"]
    return subprocess.run(
        [*command, *args],
        cwd=ROOT,
        check=check,
        capture_output=True,
        env={**os.environ, PROFILE_DIR: str(profiles)},
    )


def load(folder: Path) -> list[Profile]:
    """Every process's profile in `folder`."""
    return [json.loads(path.read_text()) for path in sorted(folder.glob("profile-*.json"))]


def tests_of(profiles: list[Profile]) -> list[dict[str, Any]]:
    return [test for profile in profiles for test in profile["tests"]]


def wall(test: dict[str, Any]) -> float:
    return float(sum(test["phases"].values()))


def print_buckets(tests: list[dict[str, Any]], title: str) -> None:
    """Each bucket's share of the scenarios' wall time, and its median per scenario."""
    if not tests:
        print(f"{title}: no scenario ran")
        return
    total = sum(wall(test) for test in tests)
    sums: dict[str, float] = defaultdict(float)
    for test in tests:
        for bucket, seconds in test["buckets"].items():
            sums[bucket] += seconds
    median = statistics.median(map(wall, tests))
    print(f"{title}: {len(tests)} scenario run(s), {total:.1f} s in all (median {median:.2f} s)")
    print(f"  {'bucket':<44} {'total s':>8} {'share':>6} {'per scenario':>13}")
    for bucket, seconds in sorted(sums.items(), key=lambda kv: -kv[1]):
        if seconds < 0.005 * len(tests):
            continue
        per = statistics.median(test["buckets"].get(bucket, 0.0) for test in tests)
        print(f"  {bucket:<44} {seconds:8.2f} {seconds / total:6.1%} {per:12.3f}s")


def print_steps(tests: list[dict[str, Any]], top: int = 15) -> None:
    """The steps that take longest (median over their runs), each with its main buckets and its evidence."""
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for test in tests:
        for step in test["steps"]:
            runs[step["name"]].append(step)
    if not runs:
        return

    def median(name: str, key: str | None = None) -> float:
        values = [float(s["seconds"] if key is None else s["buckets"].get(key, 0.0)) for s in runs[name]]
        return statistics.median(values)

    print("  slowest steps (median s over n runs; main parts; evidence after the step):")
    for name in sorted(runs, key=median, reverse=True)[:top]:
        keys = {key for step in runs[name] for key in step["buckets"]}
        parts = sorted(((median(name, key), key) for key in keys), reverse=True)[:2]
        evidence = statistics.median(sum(s["evidence"].values()) for s in runs[name])
        described = ", ".join(f"{key} {seconds:.2f}" for seconds, key in parts if seconds >= 0.01)
        print(f"  {median(name):6.2f}  n={len(runs[name]):<3} {name[:60]:<60}  {described}; evidence {evidence:.2f}")


def print_slowest(tests: list[dict[str, Any]], top: int = 8) -> None:
    """The longest scenarios, with their set-up, steps and teardown."""
    print("  slowest scenarios (wall s = set-up + call + teardown):")
    for test in sorted(tests, key=wall, reverse=True)[:top]:
        phases = test["phases"]
        parts = " + ".join(f"{phases.get(p, 0.0):.2f}" for p in ("setup", "call", "teardown"))
        print(f"  {wall(test):6.2f} = {parts}  {test['nodeid'].split('::')[-1][:70]}")


def print_startup(profiles: list[Profile]) -> None:
    """Each worker's start-up: imports and collection, then the session fixtures (stack, Playwright, browser)."""
    for profile in profiles:
        fixtures = sorted(profile["startup"].items(), key=lambda kv: -kv[1])
        named = ", ".join(f"{name} {seconds:.2f}" for name, seconds in fixtures if seconds >= 0.01)
        collected, first = profile.get("collected_after"), profile.get("first_test_after")
        reach = f"collected after {collected:.2f} s, first scenario after {first:.2f} s" if first else "no scenario"
        print(f"  worker {profile['worker']}: {reach}; session fixtures: {named}")


def main(argv: Sequence[str]) -> None:
    """Profile `pytest steps ARGV` (default: the whole suite on one worker) and print where the time went."""
    with tempfile.TemporaryDirectory() as folder:
        result = pytest_steps(["steps", *argv, "--alluredir", str(Path(folder) / "allure")], Path(folder), check=False)
        profiles = load(Path(folder))
    tests = tests_of(profiles)
    print_buckets(tests, f"profile of `pytest steps {' '.join(argv)}`")
    print_steps(tests)
    print_slowest(tests)
    print("  start-up:")
    print_startup(profiles)
    if result.returncode:
        print(f"  (pytest exited {result.returncode}: {result.stdout.decode(errors='replace').splitlines()[-1:]})")


if __name__ == "__main__":
    main(sys.argv[1:])
