"""A pytest plugin for the benchmarks: where each scenario's time goes, written as JSON for bench.profile to print.

Load it with `-p bench.profiler` and name a folder in TPCD_PROFILE_DIR; each process (every pytest-xdist worker)
writes one file there. Time is split into exclusive buckets, so they add up to the scenario's wall time:

- fixtures: each function-scoped fixture's own set-up (`fresh_stack` is the stack reset, `context` and `page` the
  browser context), and each session-scoped one as the worker's start-up (the stack, Playwright, the browser);
- inside steps: browser actions (every Playwright call, `expect` waits included), simulated waits (the tray's Loading,
  Ready and Going, TrayIcon.expect_state), the card going in and out of its reader (pcscd noticing included), HTTP
  from the test process (simulator clients, the attacker, the twin's clock), and the step code itself;
- evidence: the per-step screenshot and the APDU / agent-request attachments (harness.plugin.reporting);
- what is left of a phase once those are taken out: pytest, pytest-bdd, allure and their hooks.

Nothing here is asserted: it is a measuring instrument, patched onto the code it measures only when loaded.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

PROFILE_DIR = "TPCD_PROFILE_DIR"
BROWSER, SIMULATED_WAIT, CARD, HTTP = "browser actions", "simulated waits", "card insert/remove", "HTTP from the test"
SCREENSHOT, EVIDENCE_LOG = "evidence: screenshot", "evidence: APDU and agent log"
STEP_CODE, REST = "step code", "pytest, pytest-bdd, allure (the rest)"
OPAQUE = {SIMULATED_WAIT, CARD, SCREENSHOT, EVIDENCE_LOG}  # whatever runs inside them counts as them
F = TypeVar("F", bound=Callable[..., Any])


def _opaque(bucket: str | None) -> bool:
    return bucket is not None and (bucket in OPAQUE or bucket.startswith(("fixture: ", "start-up: ")))


class Clock:
    """Exclusive time per bucket: time spent in a nested bucket is not counted again in the one around it."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._open: list[list[Any]] = []  # [bucket, started, time taken by nested buckets]

    def now_in(self) -> str | None:
        return self._open[-1][0] if self._open else None

    @contextmanager
    def measure(self, bucket: str) -> Iterator[None]:
        outer = self.now_in()
        if threading.current_thread() is not threading.main_thread() or outer == bucket or _opaque(outer):
            yield
            return
        self._open.append([bucket, time.perf_counter(), 0.0])
        try:
            yield
        finally:
            _, started, nested = self._open.pop()
            elapsed = time.perf_counter() - started
            self.totals[bucket] += elapsed - nested
            if self._open:
                self._open[-1][2] += elapsed

    def snapshot(self) -> dict[str, float]:
        return dict(self.totals)


CLOCK = Clock()


def _since(before: dict[str, float]) -> dict[str, float]:
    return {k: round(v - before.get(k, 0.0), 4) for k, v in CLOCK.totals.items() if v - before.get(k, 0.0) > 1e-5}


def _timed(bucket: str, function: F) -> F:
    @wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        with CLOCK.measure(bucket):
            return function(*args, **kwargs)

    return timed  # type: ignore[return-value]


def _patch() -> None:
    """Time the calls each bucket is made of, where they are made (imports stay lazy: the plugin loads early)."""
    import playwright._impl._sync_base as sync_base

    from harness.plugin import reporting
    from pages.agent import TrayIcon
    from simulators.card.client import CardSlot

    # Every sync Playwright call ends in wait_for_future; patching it (not SyncBase._sync) keeps the caller's frame,
    # which _sync reads for traces.
    sync_base.wait_for_future = _timed(BROWSER, sync_base.wait_for_future)  # type: ignore[attr-defined]
    TrayIcon.expect_state = _timed(SIMULATED_WAIT, TrayIcon.expect_state)  # type: ignore[method-assign]
    CardSlot.insert = _timed(CARD, CardSlot.insert)  # type: ignore[method-assign]
    CardSlot.remove = _timed(CARD, CardSlot.remove)  # type: ignore[method-assign]
    requests.Session.request = _timed(HTTP, requests.Session.request)  # type: ignore[method-assign]
    reporting._attach_screenshot = _timed(SCREENSHOT, reporting._attach_screenshot)
    reporting._attach_step_evidence = _timed(EVIDENCE_LOG, reporting._attach_step_evidence)


class Profile:
    """What one process measured: its start-up and every scenario it ran."""

    def __init__(self, config: pytest.Config) -> None:
        self.worker = getattr(config, "workerinput", {}).get("workerid", "main")
        self.startup: dict[str, float] = {}
        self.tests: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.step: tuple[str, float, dict[str, float]] | None = None
        self.process_started = _process_start()
        self.collected_at = 0.0
        self.first_test_at = 0.0

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        data = {
            "worker": self.worker,
            "collected_after": self.collected_at - self.process_started if self.collected_at else None,
            "first_test_after": self.first_test_at - self.process_started if self.first_test_at else None,
            "startup": {k: round(v, 4) for k, v in self.startup.items()},
            "tests": self.tests,
        }
        (folder / f"profile-{self.worker}-{os.getpid()}.json").write_text(json.dumps(data, ensure_ascii=False))


def _process_start() -> float:
    """When this process started, on the time.time() clock (Linux /proc)."""
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    boot = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - boot + ticks / os.sysconf("SC_CLK_TCK")


PROFILE_KEY = pytest.StashKey[Profile]()


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(PROFILE_DIR):
        return
    _patch()
    config.stash[PROFILE_KEY] = Profile(config)


def _profile(config: pytest.Config) -> Profile | None:
    return config.stash.get(PROFILE_KEY, None)


def pytest_collection_finish(session: pytest.Session) -> None:
    profile = _profile(session.config)
    if profile is not None:
        profile.collected_at = time.time()


def pytest_sessionfinish(session: pytest.Session) -> None:
    profile = _profile(session.config)
    if profile is not None:
        profile.write(Path(os.environ[PROFILE_DIR]))


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    profile = _profile(request.config)
    if profile is None:
        return (yield)
    session = fixturedef.scope == "session"
    if fixturedef.argname.startswith("pytestbdd_"):  # pytest-bdd finding a step's definition: its own time
        return (yield)
    bucket = f"start-up: {fixturedef.argname}" if session else f"fixture: {fixturedef.argname}"
    before = CLOCK.totals.get(bucket, 0.0)
    with CLOCK.measure(bucket):
        result = yield
    if session:
        profile.startup[fixturedef.argname] = profile.startup.get(fixturedef.argname, 0.0) + (
            CLOCK.totals[bucket] - before
        )
        CLOCK.totals.pop(bucket, None)  # a worker's start-up is not the first scenario's
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    profile = _profile(item.config)
    if profile is None:
        return (yield)
    if not profile.first_test_at:
        profile.first_test_at = time.time()
    profile.current = {"nodeid": item.nodeid, "phases": {}, "buckets": {}, "steps": [], "outcome": "passed"}
    try:
        return (yield)
    finally:
        profile.tests.append(profile.current)
        profile.current = None


def _phase(item: pytest.Item, name: str) -> Generator[None, None, None]:
    profile = _profile(item.config)
    if profile is None or profile.current is None:
        yield
        return
    before, started = CLOCK.snapshot(), time.perf_counter()
    try:
        yield
    finally:
        wall = time.perf_counter() - started
        spent = _since(before)
        spent[REST] = round(max(0.0, wall - sum(spent.values())), 4)
        profile.current["phases"][name] = round(wall, 4)
        profile.current.setdefault("phase_buckets", {})[name] = spent
        buckets = profile.current["buckets"]
        for bucket, seconds in spent.items():
            buckets[bucket] = round(buckets.get(bucket, 0.0) + seconds, 4)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _phase(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _phase(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _phase(item, "teardown"))


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_before_step(request: pytest.FixtureRequest, step: Any, **_: Any) -> None:
    profile = _profile(request.config)
    if profile is not None:
        profile.step = (f"{step.keyword} {step.name}", time.perf_counter(), CLOCK.snapshot())


def _end_step(request: pytest.FixtureRequest, failed: bool) -> Generator[None, None, None]:
    """Around the after-step hooks: the step ends where they begin; what they take is evidence."""
    profile = _profile(request.config)
    if profile is None or profile.step is None or profile.current is None:
        yield
        return
    name, started, before = profile.step
    ended = time.perf_counter()
    spent = _since(before)
    spent[STEP_CODE] = round(max(0.0, ended - started - sum(spent.values())), 4)
    CLOCK.totals[STEP_CODE] += spent[STEP_CODE]  # so that the phase counts it apart from pytest-bdd's own time
    evidence_before = CLOCK.snapshot()
    try:
        yield
    finally:
        evidence = _since(evidence_before)
        profile.current["steps"].append(
            {"name": name, "seconds": round(ended - started, 4), "buckets": spent, "evidence": evidence}
        )
        if failed:
            profile.current["outcome"] = "failed"
        profile.step = None


@pytest.hookimpl(wrapper=True)
def pytest_bdd_after_step(request: pytest.FixtureRequest, **_: Any) -> Generator[None, None, None]:
    return (yield from _end_step(request, failed=False))


@pytest.hookimpl(wrapper=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, **_: Any) -> Generator[None, None, None]:
    return (yield from _end_step(request, failed=True))
