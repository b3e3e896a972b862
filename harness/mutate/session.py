"""Session mode's plugin (`-p harness.mutate.session`): one pytest session runs many mutants in turn.

The stack (every simulator, the test CA, the card and the 安控元件) and the browser start once per session; only the
twin changes between mutants. The stack serves a `MutantPortal` in the twin's place (the builder plugins may set,
harness.plugin.services.BUILD_PORTAL_KEY): one address for the whole session, behind which each mutant's own app,
built from a copy of `portal/` with the mutated module, answers in turn, on a database of its own. The mutant's
`portal` package is imported under its own name with the project's `portal` modules set aside for that moment, so the
mutant's modules import each other, while everything else in the process (the harness, its citizens, the card) keeps
the project's.

The session takes mutants from the run's queue (harness/mutate/queue.py) until none is left or it has run its share
(MUTANT_SESSION_LIMIT, so memory stays bounded); for each it runs the scenarios likeliest killer first (the one
that killed it in an earlier run, harness/mutate/memory.py; then harness/mutate/order.py), stops at the first that
fails on every rerun, and writes the verdict.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from harness.mutate import MAP_SHARD, PROJECT, QUEUE, SESSION_LIMIT
from harness.mutate.order import History, Scenario, may_kill, order, rarest_first, settle, signature
from harness.mutate.queue import Queue

if TYPE_CHECKING:
    from portal import PortalSettings

KILLED, SURVIVED = "killed", "survived"  # harness.mutate.runner.Status, which this process does not import


def _is_portal(name: str) -> bool:
    return name == "portal" or name.startswith("portal.")


def load_create_app(folder: Path, module: str) -> Callable[[PortalSettings], FastAPI]:
    """The `create_app` of the `portal` package in `folder`, imported with its own modules; the project's `portal`
    modules are back in sys.modules when this returns."""
    real = {name: loaded for name, loaded in sys.modules.items() if _is_portal(name)}
    for name in real:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        package = importlib.import_module("portal")
        where = Path(package.__file__ or "").resolve().parent
        if where != (folder / "portal").resolve():
            raise ImportError(f"tpcd mutate: portal was imported from {where}, not from the mutant in {folder}")
        importlib.import_module(module.removesuffix(".py").replace("/", "."))  # the mutated module, even if lazy
        create: Callable[[PortalSettings], FastAPI] = package.create_app
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if _is_portal(name)]:
            del sys.modules[name]
        sys.modules.update(real)
    return create


class _Current:
    """The stack's handle on the twin's store or clock (`portal.state.store`, `.clock`): the current mutant's."""

    def __init__(self, front: MutantPortal, name: str) -> None:
        self.front, self.name = front, name

    def _target(self) -> Any:
        app = self.front.current
        return None if app is None else getattr(app.state, self.name)

    def close(self) -> None:
        target = self._target()
        if target is not None:
            target.close()

    def reset(self) -> None:
        target = self._target()
        if target is not None:
            target.reset()


class MutantPortal(FastAPI):
    """What the stack serves as the twin: the current mutant's app, swapped between mutants (module docstring)."""

    def __init__(self) -> None:
        super().__init__(openapi_url=None, docs_url=None, redoc_url=None)
        self.settings: PortalSettings | None = None
        self.current: FastAPI | None = None
        self.failure = ""  # why the current mutant's app could not be built ("" when it was)
        self.databases = 0  # databases made so far: each app gets a new one
        self.build_trace: Callable[..., Any] | None = None  # traces the building of each app (the reach map)
        self._create: Callable[[PortalSettings], FastAPI] | None = None
        self._folder: Path | None = None
        self.state.store = _Current(self, "store")
        self.state.clock = _Current(self, "clock")

    def build(self, settings: PortalSettings) -> FastAPI:
        """The stack's builder: remember its settings (the simulators' URLs) and serve the current mutant."""
        self.settings = settings
        self._swap()
        return self

    def load(self, folder: Path, module: str) -> None:
        """Serve the mutant in `folder` from now on (its app is built at once when the stack runs already)."""
        self._create, self._folder = load_create_app(folder, module), folder
        if self.settings is not None:
            self._swap()

    def renew(self) -> None:
        """The same mutant on an empty database: a rerun's citizen is the first try's, whom the portal remembers (a
        code just sent, a member registered) and would refuse for that alone."""
        self.databases += 1
        if self.settings is not None:
            self._swap()

    def _swap(self) -> None:
        previous, self.current, self.failure = self.current, None, ""
        if previous is not None:
            previous.state.store.close()
        if self._create is None or self._folder is None or self.settings is None:
            return
        before = sys.gettrace()
        if self.build_trace is not None:
            sys.settrace(self.build_trace)
        try:
            database = self._folder / f"portal-{self.databases}.sqlite3"
            self.current = self._create(replace(self.settings, db_path=database))
        except Exception as error:  # the mutant's portal does not start: every scenario meets a 404, and fails
            self.failure = f"{type(error).__name__}: {error}"
        finally:
            if self.build_trace is not None:
                sys.settrace(before)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.current
        if app is None or scope["type"] == "lifespan":
            await super().__call__(scope, receive, send)
            return
        await app(scope, receive, send)


FRONT = MutantPortal()


def pytest_configure(config: pytest.Config) -> None:
    """The stack serves the mutants' front in the twin's place."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # started in the background, it would ignore `tpcd`'s stop
    from harness.plugin.services import BUILD_PORTAL_KEY  # after the root conftest registered it (assert rewriting)

    config.stash[BUILD_PORTAL_KEY] = FRONT.build


def _scenario(item: pytest.Item) -> Scenario:
    return Scenario(item.name, frozenset(marker.name for marker in item.iter_markers()))


def _failure(reports: list[TestReport]) -> str | None:
    """How the scenario failed (order.signature), None when it did not."""
    for report in reports:
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is None:
                return signature(report.when, 0, report.longreprtext)
            return signature(_relative(str(crash.path)), int(crash.lineno), str(crash.message))
    return None


def _relative(path: str) -> str:
    """A failure's file relative to the project, so a signature kept (killers.json) holds in another checkout."""
    root = Path(os.environ.get(PROJECT, ".")).resolve()
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path


def _text(reports: list[TestReport]) -> str:
    return "\n".join(f"[{report.when}] {report.longreprtext}" for report in reports if report.failed)


class _Lines:
    """The lines of one folder's `portal/` that the server's threads run (threading.settrace, so the harness's own
    thread, which drives the browser, costs nothing)."""

    def __init__(self, folder: Path) -> None:
        self.prefix = str(folder.resolve()) + os.sep
        self.hit: set[tuple[str, int]] = set()
        self.building: set[tuple[str, int]] = set()  # run while the app was built: every scenario's portal runs them

    def tracer(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        if event == "call" and frame.f_code.co_filename.startswith(self.prefix):
            return self.local
        return None

    def local(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        if event == "line":
            self.hit.add((frame.f_code.co_filename, frame.f_lineno))
        return self.local

    def build_tracer(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        if event == "call" and frame.f_code.co_filename.startswith(self.prefix):
            return self.build_local
        return None

    def build_local(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        if event == "line":
            self.building.add((frame.f_code.co_filename, frame.f_lineno))
        return self.build_local

    def take(self) -> dict[str, list[int]]:
        """The lines run since the last take, and those run building the app, by module (relative to the root)."""
        found: dict[str, list[int]] = {}
        for filename, line in sorted(self.hit | self.building):
            found.setdefault(filename.removeprefix(self.prefix), []).append(line)
        self.hit = set()
        return found


class _Runner:
    """Runs scenarios one at a time in this session, keeping the session's fixtures (the stack, the browser) up."""

    def __init__(self, items: list[pytest.Item]) -> None:
        self.items = items

    def run(self, item: pytest.Item) -> tuple[list[TestReport], float]:
        """One scenario's reports (setup, call, teardown) and its seconds."""
        other = next((candidate for candidate in self.items if candidate is not item), None)
        reports = runtestprotocol(item, log=False, nextitem=other)
        return reports, sum(report.duration for report in reports)


def _history(queue: Queue) -> History:
    """What the run's finished mutants taught, in every session."""
    history = History()
    history.durations.update({name: float(entry.get("seconds", 0.0)) for name, entry in queue.reach().items()})
    for number, result in sorted(queue.results().items()):
        function = queue.mutant(number)["function"]
        history.record(function, str(result.get("killed_by_item", "")), result.get("durations", {}))
    return history


def run_mutant(queue: Queue, number: int, runner: _Runner, options: dict[str, Any]) -> dict[str, Any]:
    """One mutant against the scenarios, likeliest killer first, to the first that kills it."""
    entry = queue.mutant(number)
    started = time.monotonic()
    folder = queue.root / "work" / f"{number:04d}"
    project = Path(os.environ.get(PROJECT, "."))
    shutil.copytree(project / "portal", folder / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / entry["module"]).write_text(entry["source"], encoding="utf-8")
    FRONT.load(folder, entry["module"])
    by_name = {item.name: item for item in runner.items}
    first, rest = order([_scenario(item) for item in runner.items], entry["steps"], entry["function"], _history(queue))
    reach = queue.reach()
    low, high = entry["lines"]
    guarded = entry.get("guarded") or []
    first, rest = (rarest_first(group, reach, entry["module"], guarded) for group in (first, rest))
    candidates = first if options.get("steps_only") else first + rest
    chosen = [s for s in candidates if may_kill(reach.get(s.name), entry["module"], low, high)]
    known = entry.get("known") or {}
    chosen.sort(key=lambda scenario: scenario.name != known.get("scenario"))  # the last run's killer first
    steps = {scenario.name for scenario in first}
    durations: dict[str, float] = {}
    log: list[str] = [f"mutant {entry['id']} (documented steps {entry['steps']})"]
    left_out = len(candidates) - len(chosen)
    log.append(f"{len(chosen)} scenarios run {entry['module']}:{low}–{high} on the twin; {left_out} others never do")
    if FRONT.failure:
        log.append(f"its portal does not start: {FRONT.failure}")
    passed = reruns = 0
    for scenario in chosen:
        item = by_name[scenario.name]
        queue.running(os.getpid(), number, scenario.name)
        reports, seconds = runner.run(item)
        durations[scenario.name] = seconds
        tries: list[list[TestReport]] = [reports]

        def again(item: pytest.Item = item, tries: list[list[TestReport]] = tries) -> str | None:
            FRONT.renew()
            tries.append(runner.run(item)[0])
            return _failure(tries[-1])

        first_failure = _failure(reports)
        remembered = str(known.get("signature", "")) if scenario.name == known.get("scenario") else ""
        verdict = settle(first_failure, int(options.get("reruns", 1)), again, remembered=remembered)
        reruns += verdict.runs - 1
        if verdict.killed:
            log += [_text(attempt) for attempt in tries]
            if verdict.remembered:
                log.append("it failed exactly as it killed this mutant in the last run (killers.json): no rerun")
            log.append(f"FAILED {item.nodeid}\n1 failed, {passed} passed, {reruns} rerun")
            return {
                "status": KILLED,
                "killed_by": scenario.name.removeprefix("test_"),
                "killed_by_item": scenario.name,
                "signature": first_failure or "",
                "phase": "steps" if scenario.name in steps else "rest",
                "seconds": time.monotonic() - started,
                "scenarios": passed + 1,
                "durations": durations,
                "log": "\n".join(log),
            }
        passed += 1
        if verdict.runs > 1:  # a fluke: say how each try went
            log += [_text(attempt) or "[passed]" for attempt in tries]
        log.append(
            f"PASSED {item.nodeid} ({seconds:.1f} s{', not the same failure twice' if verdict.runs > 1 else ''})"
        )
    log.append(f"{passed} passed, {reruns} rerun")
    result = {"status": SURVIVED, "seconds": time.monotonic() - started, "scenarios": passed}
    return result | {"killed_by": "", "phase": "", "durations": durations, "log": "\n".join(log)}


def map_reach(queue: Queue, shard: int, shards: int, runner: _Runner) -> None:
    """Shard `shard` of `shards` of the reach map: the twin (an unmutated copy, served as the mutants are) against
    every `shards`-th scenario, recording the twin's lines each runs and whether it passed (a failure is tried once
    more: a scenario that fails on the twin twice is left out as a killer, it would kill every mutant)."""
    folder = queue.root / "twin" / str(shard)
    project = Path(os.environ.get(PROJECT, "."))
    shutil.copytree(project / "portal", folder / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    lines = _Lines(folder)
    FRONT.build_trace = lines.build_tracer
    FRONT.load(folder, "portal/app.py")
    threading.settrace(lines.tracer)
    reach: dict[str, Any] = {}
    for item in runner.items[shard::shards]:
        queue.running(os.getpid(), -1 - shard, item.name)
        lines.take()
        reports, seconds = runner.run(item)
        if _failure(reports) is not None:
            FRONT.renew()
            reports, seconds = runner.run(item)
        passed = _failure(reports) is None
        reach[item.name] = {"passed": passed, "seconds": seconds, "lines": lines.take()}
        if not passed:
            reach[item.name]["failure"] = _text(reports)
    threading.settrace(None)  # type: ignore[arg-type,unused-ignore]
    FRONT.build_trace = None
    queue.map_shard(shard, reach)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool:
    """Mutants from the queue, one after another, until none is left or this session has run its share."""
    if session.config.option.collectonly:
        return True
    if session.testsfailed:
        raise session.Interrupted(f"{session.testsfailed} errors during collection")
    queue = Queue(Path(os.environ[QUEUE]))
    options = queue.options()
    limit = int(os.environ.get(SESSION_LIMIT, "0"))
    runner = _Runner(list(session.items))
    shard = os.environ.get(MAP_SHARD, "")
    if shard:
        index, count = (int(part) for part in shard.split("/"))
        map_reach(queue, index, count, runner)
        return True
    done = 0
    while not limit or done < limit:
        number = queue.claim() if runner.items else None
        if number is None:
            break
        result = run_mutant(queue, number, runner, options)
        queue.finish(number, result)
        shutil.rmtree(queue.root / "work" / f"{number:04d}", ignore_errors=True)
        done += 1
    return True
