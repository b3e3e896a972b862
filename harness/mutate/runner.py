"""Runs the Gherkin suite against one mutant: a copy of `portal/` with the mutation, in a folder of its own that the
child pytest imports the portal from, never the working tree.

The child is `python -P -m pytest steps -x` (no current directory on sys.path) with that folder first on PYTHONPATH
and `-p harness.mutate.plugin`, which imports the mutant's `portal` before anything else can and orders the scenarios
of the mutant's documented steps first. The embedded stack serves the twin inside that pytest process, so the mutant
is what the browser talks to; one process per mutant, so one stack start.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from harness.mutate import DURATIONS, MUTANT_DIR, MUTANT_STEPS, PLUGIN, SELECTION, STEPS_ONLY
from harness.mutate.catalog import Mutant
from harness.plugin.balance import DURATIONS_KEY
from simulators.lifetime import bound_popen, claim, owned_tempdir, sweep

_STOPPING = threading.Event()
_CHILDREN: set[subprocess.Popen[bytes]] = set()
_LOCK = threading.Lock()
LOG = "pytest.log"
JUNIT = "junit.xml"


class Stopped(Exception):
    """The run was interrupted (Ctrl-C, SIGTERM): this mutant has no verdict."""


def stop_all() -> None:
    """Stop every child pytest as a Ctrl-C does; no further mutant starts."""
    _STOPPING.set()
    with _LOCK:
        children = list(_CHILDREN)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGINT)


class Status:
    """What became of a mutant."""

    KILLED = "killed"
    SURVIVED = "survived"
    TIMEOUT = "timeout"  # counted as killed: the suite did not pass against it
    ERROR = "error"  # the suite could not run at all (not a verdict on the mutant; left out of the score)
    EXPLAINED = "explained"  # listed in equivalent.toml, not run


@dataclass(frozen=True, slots=True)
class Outcome:
    """One mutant's result."""

    mutant: Mutant
    status: str
    killed_by: str = ""  # the scenario (its test name), or why the suite could not run with the mutant
    phase: str = ""  # where the killing scenario was: "steps" (tagged with the mutant's steps) or "rest"
    seconds: float = 0.0
    scenarios: int = 0  # how many scenarios ran against it
    reason: str = ""  # an equivalent mutant's explanation
    killer: str = ""  # session mode: the killing scenario's test name (harness/mutate/memory.py keeps it)
    signature: str = ""  # session mode: how that scenario failed (order.signature)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How each mutant's suite runs."""

    root: Path
    timeout: float = 3600.0
    steps_only: bool = False  # only the scenarios of the mutant's steps
    scenarios: str = ""  # a -k expression narrowing every run (tests, a quick check); "" for all
    reruns: int = 1  # a scenario kills only when it fails this many more times (pytest-rerunfailures): not by a fluke
    logs: Path | None = None  # where each mutant's pytest output and junit.xml are kept (a folder per mutant)


def prepare(root: Path, mutant: Mutant, folder: Path) -> None:
    """Put the mutated copy of portal/ into `folder`, with the scenarios' last durations (harness.plugin.balance)."""
    shutil.copytree(root / "portal", folder / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / mutant.module).write_text(mutant.mutated_source(root), encoding="utf-8")
    durations = root / ".pytest_cache" / "v" / DURATIONS_KEY
    if durations.is_file():
        shutil.copyfile(durations, folder / DURATIONS)


def command(folder: Path, options: RunOptions) -> list[str]:
    """The child pytest: one process, stop at the first failing scenario, its own reports."""
    line = [sys.executable, "-P", "-m", "pytest", "steps", "-p", PLUGIN, "-x", "-q", "-n", "0"]
    line += ["-p", "no:cacheprovider", "--junitxml", str(folder / JUNIT), "--output", str(folder / "playwright")]
    if options.reruns:
        line += ["--reruns", str(options.reruns)]
    return [*line, "-k", options.scenarios] if options.scenarios else line


def environment(folder: Path, mutant: Mutant, options: RunOptions) -> dict[str, str]:
    """The child's environment: the mutant's folder first on the path, its own reports and temp folders."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), environ.get("PYTHONPATH", "")) if p)
    environ["TPCD_REPORTS_DIR"] = str(folder / "reports")
    environ["TMPDIR"] = str(folder)
    environ[MUTANT_DIR] = str(folder)
    environ[MUTANT_STEPS] = ",".join(map(str, mutant.steps))
    environ[STEPS_ONLY] = "1" if options.steps_only else "0"
    return environ


def scenarios_in(junit: Path) -> tuple[str, int]:
    """The first scenario that failed or errored in a JUnit file ("" when none did), and how many ran."""
    if not junit.exists():
        return "", 0
    cases = list(ElementTree.parse(junit).iter("testcase"))
    for case in cases:
        if case.find("failure") is not None or case.find("error") is not None:
            return case.get("name", ""), len(cases)
    return "", len(cases)


def _phase_of(folder: Path, scenario: str) -> str:
    """Whether `scenario` is one of the mutant's steps' (the plugin wrote which are)."""
    try:
        selection = json.loads((folder / SELECTION).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return "steps" if scenario in selection.get("steps", []) else "rest"


def stop(child: subprocess.Popen[bytes]) -> None:
    """Stop a child pytest as a Ctrl-C does (its teardown runs), and at once if it has not after a minute."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGINT)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def _suite(folder: Path, mutant: Mutant, options: RunOptions) -> int | None:
    """The child pytest to its end: its exit code, None when it ran out of time (then stopped as by Ctrl-C)."""
    with (folder / LOG).open("w", encoding="utf-8") as output:
        child = bound_popen(
            command(folder, options),
            death_signal=signal.SIGTERM,
            cwd=options.root,
            env=environment(folder, mutant, options),
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        claim(folder, child.pid)
        with _LOCK:
            _CHILDREN.add(child)
        try:
            return child.wait(timeout=options.timeout)
        except subprocess.TimeoutExpired:
            stop(child)
            return None
        except BaseException:
            stop(child)
            raise
        finally:
            with _LOCK:
                _CHILDREN.discard(child)


def run_mutant(mutant: Mutant, options: RunOptions) -> Outcome:
    """The suite against one mutant, its documented steps' scenarios first; the first failing scenario kills it."""
    if _STOPPING.is_set():
        raise Stopped(mutant.id)
    sweep()
    folder = owned_tempdir("tpcd-mutant-")
    started = time.monotonic()
    try:
        prepare(options.root, mutant, folder)
        code = _suite(folder, mutant, options)
        if _STOPPING.is_set():
            raise Stopped(mutant.id)
        seconds = time.monotonic() - started
        failed, ran = scenarios_in(folder / JUNIT)
        lines = (folder / LOG).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        tail = lines[-1] if lines else ""
        if code is None:
            return Outcome(mutant, Status.TIMEOUT, f"no verdict within {options.timeout:.0f} s", "", seconds, ran)
        if code in (0, 5):  # every scenario passed, or none was selected
            return Outcome(mutant, Status.SURVIVED, "", "", seconds, ran)
        if code == 1 or failed:
            scenario = failed.removeprefix("test_") or tail
            return Outcome(mutant, Status.KILLED, scenario, _phase_of(folder, failed), seconds, ran)
        # 2 with no failed scenario (collection interrupted), 3 (internal error), 4 (usage): the run itself broke
        return Outcome(mutant, Status.ERROR, f"pytest exit {code}: {tail}", "", seconds, ran)
    finally:
        if options.logs is not None:
            kept = options.logs / log_folder(mutant.id)
            kept.mkdir(parents=True, exist_ok=True)
            for name in (LOG, JUNIT):
                if (folder / name).exists():
                    shutil.copy2(folder / name, kept / name)
        shutil.rmtree(folder, ignore_errors=True)


def log_folder(mutant_id: str) -> str:
    """A mutant's folder name among the kept logs."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", mutant_id)
