"""Longest first: under pytest-xdist, tests run in the order of how long each took last time, so no worker is left
with a long scenario at the end while the other idles (the longest-processing-time-first rule).

Every run records each test's duration (set-up + call + teardown) in pytest's cache (`.pytest_cache`, key
DURATIONS_KEY), merged with what earlier runs recorded; a test never timed counts as the median of those that were.
Each worker sorts the same collection by the same file, so all agree on the order, as pytest-xdist requires. Without
xdist, or without the cache (`-p no:cacheprovider`), the order is left as collected. A fresh clone has no cache: the
durations kept in tests/durations.json (`make durations`) stand in for it there.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

DURATIONS_KEY = "tpcd/durations"
SEED_FILE = Path("tests") / "durations.json"


def _parallel(config: pytest.Config) -> bool:
    """Whether this process runs tests for, or schedules them across, more than one xdist worker."""
    if hasattr(config, "workerinput"):
        return int(config.workerinput.get("workercount", 1)) > 1
    workers = getattr(config.option, "numprocesses", None)
    return isinstance(workers, int) and workers > 1


def committed_durations(root: Path) -> dict[str, float]:
    """The durations kept in the repository (SEED_FILE, written by `make durations` from a whole `make test`), for a
    fresh clone's first run, which has no cache yet; empty when the file is absent or unreadable."""
    try:
        seed = json.loads((root / SEED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(nodeid): float(seconds) for nodeid, seconds in seed.items()} if isinstance(seed, dict) else {}


def longest_first(nodeids: list[str], durations: dict[str, float]) -> list[str]:
    """`nodeids` by their last duration, longest first; the never timed count as the median; ties keep their order."""
    known = [durations[nodeid] for nodeid in nodeids if nodeid in durations]
    typical = statistics.median(known) if known else 0.0
    return sorted(nodeids, key=lambda nodeid: -durations.get(nodeid, typical))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Reorder the collected tests longest first when they are to be spread over workers."""
    cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
    if cache is None or not _parallel(config):
        return
    recorded = cache.get(DURATIONS_KEY, {})
    durations = {**committed_durations(config.rootpath), **(recorded if isinstance(recorded, dict) else {})}
    if not durations:
        return
    order = longest_first([item.nodeid for item in items], durations)
    place = {nodeid: index for index, nodeid in enumerate(order)}
    items.sort(key=lambda item: place[item.nodeid])  # every item kept, even two with one node id


class _Durations:
    """Each test's phases added up, in the process that sees every report (the controller under xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.seen: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seen[report.nodeid] += report.duration

    def pytest_sessionfinish(self) -> None:
        """Record this run's durations, keeping those of tests it did not run (a -k run forgets nothing)."""
        cache = getattr(self.config, "cache", None)
        if cache is None or not self.seen:
            return
        recorded = cache.get(DURATIONS_KEY, {})
        durations = dict(recorded) if isinstance(recorded, dict) else {}
        durations.update({nodeid: round(duration, 3) for nodeid, duration in self.seen.items()})
        cache.set(DURATIONS_KEY, durations)


def pytest_configure(config: pytest.Config) -> None:
    """Keep durations where all reports arrive: not in an xdist worker, whose reports reach the controller."""
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Durations(config), "tpcd-durations")


def keep_durations(root: Path) -> int:
    """Write the durations this checkout's cache holds into SEED_FILE (rounded: only their order matters); how many."""
    cached = root / ".pytest_cache" / "v" / DURATIONS_KEY
    durations = json.loads(cached.read_text(encoding="utf-8"))
    kept = {nodeid: round(seconds, 1) for nodeid, seconds in sorted(durations.items())}
    (root / SEED_FILE).write_text(json.dumps(kept, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return len(kept)
