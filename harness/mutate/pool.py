"""Session mode (`tpcd mutate --mode session`, the default): a few long pytest sessions take the mutants from one
queue, each starting the stack and the browser once (harness/mutate/session.py), instead of one pytest per mutant.

This process fills the queue, keeps `jobs` sessions running while mutants are left, and watches them: a scenario
that runs longer than the per-scenario timeout stops its session (the mutant is TIMEOUT, a hung portal costs that
timeout and one session start, not the run), a session that ends with a mutant unfinished leaves it ERROR, and a
new session takes the rest. Verdicts are handed on as they arrive; Ctrl-C or SIGTERM stops every session as a Ctrl-C
stops pytest (runner.stop_all) and the verdicts already written are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.mutate import MAP_SHARD, PROJECT, QUEUE, SESSION_LIMIT, memory
from harness.mutate.catalog import Mutant
from harness.mutate.queue import Queue
from harness.mutate.runner import (
    _CHILDREN,
    _LOCK,
    _STOPPING,
    LOG,
    Outcome,
    RunOptions,
    Status,
    log_folder,
    stop,
    stop_all,
)
from simulators.lifetime import bound_popen, claim, owned_tempdir

SESSION_PLUGIN = "harness.mutate.session"
REACH_FILE = "reach.json"  # the reach map kept beside the report, with the fingerprint of what it was measured on
FINGERPRINTED = ("portal", "features", "steps", "pages", "harness", "simulators")


def fingerprint(root: Path) -> str:
    """A digest of every file the scenarios' behaviour depends on: a kept reach map is reused only while it holds."""
    digest = hashlib.sha256()
    files = [path for folder in FINGERPRINTED for path in (root / folder).rglob("*") if path.is_file()]
    files.append(root / "pyproject.toml")
    for path in sorted(files):
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


SESSION_SHARE = 40  # mutants per session before a fresh one takes over: bounded memory, a clean process now and then
STARTS_WITHOUT_PROGRESS = 3  # sessions in a row that finish no mutant: the suite cannot run, stop trying


@dataclass(slots=True)
class _Session:
    child: subprocess.Popen[bytes]
    log: Path
    finished: set[int] = field(default_factory=set)


def session_command(options: RunOptions, output: Path) -> list[str]:
    """One session's pytest: every scenario collected (or those -k names), the mutants come from the queue."""
    line = [sys.executable, "-m", "pytest", "steps", "-p", SESSION_PLUGIN, "-q", "-n", "0", "-p", "no:cacheprovider"]
    line += ["-p", "no:randomly", "--output", str(output)]
    return [*line, "-k", options.scenarios] if options.scenarios else line


def _outcome(mutant: Mutant, result: dict[str, Any]) -> Outcome:
    return Outcome(
        mutant,
        str(result["status"]),
        str(result.get("killed_by", "")),
        str(result.get("phase", "")),
        float(result.get("seconds", 0.0)),
        int(result.get("scenarios", 0)),
        killer=str(result.get("killed_by_item", "")),
        signature=str(result.get("signature", "")),
    )


def _tail(path: Path, lines: int = 1) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


class Pool:
    """The sessions of one run (module docstring)."""

    def __init__(self, mutants: list[Mutant], options: RunOptions, jobs: int, scenario_timeout: float) -> None:
        self.mutants, self.options, self.jobs, self.scenario_timeout = mutants, options, jobs, scenario_timeout
        self.folder = owned_tempdir("tpcd-mutate-")
        known = {} if options.logs is None else memory.known(options.logs.parent, mutants)
        if known and options.logs is not None:
            kept = options.logs.parent / memory.KILLERS_FILE
            print(f"tpcd mutate: the last killers of {len(known)} of these mutants kept in {kept}: tried first")
        self.queue = Queue.create(
            self.folder, mutants, options.root, steps_only=options.steps_only, reruns=options.reruns, known=known
        )
        self.sessions: list[_Session] = []
        self.handed: set[int] = set()
        self.started = 0
        self.fruitless = 0  # sessions in a row that ended without finishing a mutant

    def _reach_file(self) -> Path | None:
        """Where the last reach map is kept, beside the report (reused while nothing it depends on changed)."""
        return None if self.options.logs is None else self.options.logs.parent / REACH_FILE

    def _map(self) -> None:
        """The reach map: which twin lines each scenario runs, from the kept one if the project is unchanged, else
        measured by `jobs` sessions, each against a share of the scenarios (session.map_reach)."""
        kept, key = self._reach_file(), fingerprint(self.options.root)
        if kept is not None and not self.options.scenarios:
            try:
                saved = json.loads(kept.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                saved = {}
            if saved.get("fingerprint") == key:
                self.queue.map_shard(0, saved["scenarios"])
                print(f"tpcd mutate: the reach map of {len(saved['scenarios'])} scenarios kept in {kept}", flush=True)
                return
        started = time.monotonic()
        shards = max(1, self.jobs)
        for shard in range(shards):
            self._start({MAP_SHARD: f"{shard}/{shards}"})
        while self.sessions and not _STOPPING.is_set():
            for session in list(self.sessions):
                if session.child.poll() is not None:
                    self._end(session)
            _STOPPING.wait(0.5)
        self.fruitless = 0
        reach = self.queue.reach()
        broken = sorted(name for name, entry in reach.items() if not entry.get("passed"))
        print(
            f"tpcd mutate: reach map of {len(reach)} scenarios in {time.monotonic() - started:.0f} s; "
            f"{len(broken)} failed on the twin itself and kill nothing{': ' if broken else ''}{', '.join(broken)}",
            flush=True,
        )
        if (
            kept is not None
            and not self.options.scenarios
            and not broken
            and len(list(self.queue.root.glob("lines/*.json"))) == shards
        ):
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(json.dumps({"fingerprint": key, "scenarios": reach}, ensure_ascii=False), encoding="utf-8")

    def _environment(self) -> dict[str, str]:
        environ = dict(os.environ)
        environ[QUEUE] = str(self.folder)
        environ[SESSION_LIMIT] = str(SESSION_SHARE)
        environ[PROJECT] = str(self.options.root)
        environ["TPCD_REPORTS_DIR"] = str(self.folder / "reports")
        environ["TMPDIR"] = str(self.folder)
        return environ

    def _start(self, extra: dict[str, str] | None = None) -> None:
        self.started += 1
        log = self.folder / f"session-{self.started}.log"
        with log.open("w", encoding="utf-8") as output:
            child = bound_popen(
                session_command(self.options, self.folder / f"playwright-{self.started}"),
                death_signal=signal.SIGTERM,
                cwd=self.options.root,
                env=self._environment() | (extra or {}),
                stdout=output,
                stderr=subprocess.STDOUT,
                process_group=0,
            )
        claim(self.folder, child.pid)
        with _LOCK:
            _CHILDREN.add(child)
        self.sessions.append(_Session(child, log))

    def _end(self, session: _Session, *, timed_out: bool = False) -> None:
        """A session that ended (or is stopped now): its unfinished mutant gets a verdict, a new session may start."""
        active = self.queue.active(session.child.pid)
        if session.child.poll() is None:
            stop(session.child)
        with _LOCK:
            _CHILDREN.discard(session.child)
        self.sessions.remove(session)
        mutant = active is not None and active.number >= 0  # a negative number: a reach map's shard
        if active is not None and mutant and self.queue.result(active.number) is None and not _STOPPING.is_set():
            if timed_out:
                said = f"{active.scenario.removeprefix('test_')} ran over {self.scenario_timeout:.0f} s"
                result = {"status": Status.TIMEOUT, "killed_by": said}
            else:
                code = session.child.returncode
                result = {"status": Status.ERROR, "killed_by": f"its session ended (exit {code}): {_tail(session.log)}"}
            self.queue.finish(
                active.number, result | {"seconds": time.time() - active.since, "log": _tail(session.log, 80)}
            )
        progress = any(number in self.queue.results() for number in self._claimed_by(session.child.pid))
        self.fruitless = 0 if progress else self.fruitless + 1
        if self.options.logs is not None:
            kept = self.options.logs / "sessions"
            kept.mkdir(parents=True, exist_ok=True)
            shutil.copy2(session.log, kept / session.log.name)

    def _claimed_by(self, pid: int) -> list[int]:
        claims = self.folder / "claims"
        return [int(path.name) for path in claims.iterdir() if path.read_text().strip() == str(pid)]

    def _hand_on(self, done: Callable[[Outcome], None]) -> None:
        for number, result in sorted(self.queue.results().items()):
            if number in self.handed:
                continue
            self.handed.add(number)
            mutant = self.mutants[number]
            if self.options.logs is not None:
                kept = self.options.logs / log_folder(mutant.id)
                kept.mkdir(parents=True, exist_ok=True)
                (kept / LOG).write_text(str(result.get("log", "")) + "\n", encoding="utf-8")
            done(_outcome(mutant, result))

    def run(self, done: Callable[[Outcome], None]) -> None:
        """Every mutant to a verdict (or until stopped), each handed to `done` as it arrives."""
        try:
            self._map()
            while not _STOPPING.is_set():
                self._hand_on(done)
                for session in list(self.sessions):
                    active = self.queue.active(session.child.pid)
                    if session.child.poll() is not None:
                        self._end(session)
                    elif active is not None and time.time() - active.since > self.scenario_timeout:
                        self._end(session, timed_out=True)
                if self.fruitless >= STARTS_WITHOUT_PROGRESS:
                    self._give_up()
                while len(self.sessions) < self.jobs and self.queue.unclaimed() > 0:
                    self._start()
                if not self.sessions and self.queue.unclaimed() <= 0:
                    break
                _STOPPING.wait(0.5)
        except KeyboardInterrupt:
            stop_all()  # no verdict for the mutants under way: their sessions stop as at a Ctrl-C
            raise
        finally:
            for session in list(self.sessions):
                self._end(session)
            self._hand_on(done)
            shutil.rmtree(self.folder, ignore_errors=True)

    def _give_up(self) -> None:
        """Sessions keep ending without a verdict: every mutant not taken yet is ERROR, with the last session's log."""
        reason = "no session could run the suite (see logs/sessions)"
        while (number := self.queue.claim()) is not None:
            self.queue.finish(number, {"status": Status.ERROR, "killed_by": reason})
