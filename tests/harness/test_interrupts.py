"""Ctrl-C, SIGTERM and SIGKILL mid-run leave no process, listening port, network namespace or temp folder.

Each command runs with a temp directory of its own (tests.processes), which marks its processes and holds every temp
folder it and its children make: afterwards no marked process may run, no port they listened on may still listen,
no namespace of theirs may remain, and the folder must be empty (after a SIGKILL: once the next start swept it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import interrupts as interrupts_module
from harness.interrupts import Interrupts
from harness.lifeline import FORCE
from simulators.client import wait_until
from simulators.lifetime import bound_popen
from tests.processes import Footprint, busy_machine, contents, footprint, left_behind, marked_tmpdir

ROOT = Path(__file__).resolve().parents[2]
TPCD = [sys.executable, "-m", "harness.cli"]
SCENARIO = "journey and 手機"  # long enough to be interrupted in the middle
# How a shell's background job (`make test &` in a script, many CI runners) starts a command: with SIGINT ignored,
# which every child inherits unless the one that forks it sets a handler of its own first.
SIGINT_IGNORED = ["env", "--ignore-signal=INT"]
# Deadlines, generous for a busy machine: each wait ends on what the child does; only a failure waits this long.
STARTS_WITHIN = 300.0
STOPS_WITHIN = 180.0


@pytest.fixture(autouse=True)
def _busy() -> Iterator[None]:
    """Every test here runs beside two busy processes: readiness comes from what the child says, never from time."""
    with busy_machine(2):
        yield


def _environ(tmpdir: Path, **more: str) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmpdir), **more}


def _mid_scenario(marker: str) -> Footprint:
    """What the run holds once a page is open in Chromium (a renderer runs: a scenario is under way)."""

    def renderer() -> Footprint | None:
        now = footprint(marker)
        rendering = any("--type=renderer" in command for command in now.processes.values())
        return now if rendering and any("pcscd" in command for command in now.processes.values()) else None

    return wait_until(renderer, timeout=STARTS_WITHIN, what="no scenario opened a page")


@pytest.mark.parametrize(
    ("stop", "workers", "launcher", "guards"),
    [
        (signal.SIGINT, ["-n", "0"], [], {}),
        (signal.SIGTERM, ["-n", "2"], SIGINT_IGNORED, {}),
        (signal.SIGTERM, ["-n", "2"], [], {FORCE: "1"}),  # as on Windows and macOS
    ],
    ids=["sigint", "sigterm-xdist-from-a-background-job", "sigterm-xdist-portable-guards"],
)
def test_tpcd_run_interrupted_mid_scenario_leaves_nothing(
    stop: signal.Signals, workers: list[str], launcher: list[str], guards: dict[str, str], tmp_path: Path
) -> None:
    with marked_tmpdir() as tmpdir:
        marker = f"TMPDIR={tmpdir}"
        command = [*launcher, *TPCD, "run", "-k", SCENARIO, *workers, "-p", "no:cacheprovider"]
        environ = _environ(tmpdir, TPCD_REPORTS_DIR=str(tmp_path / "reports"), **guards)
        with subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as run:
            try:
                seen = _mid_scenario(marker)
                run.send_signal(stop)
                out, err = run.communicate(timeout=STOPS_WITHIN)
            finally:
                if run.poll() is None:
                    run.kill()
        assert run.returncode == 128 + stop, out[-2000:] + err[-2000:]
        assert f"tpcd: {stop.name}: the suite stopped after its teardown; no report built" in err
        assert seen.ports, "the run listened on ports of its own"
        assert seen.namespaces, "pcscd ran in a network namespace of its own"
        assert not left_behind(seen, marker)
        assert contents(tmpdir) == [], "temp folders of the interrupted run"


def _up(tmpdir: Path, out: Path) -> subprocess.Popen[str]:
    command = [*TPCD, "up", "--json", "--out", str(out)]
    return subprocess.Popen(command, cwd=ROOT, env=_environ(tmpdir), stdout=subprocess.PIPE, text=True)


def _ready(up: subprocess.Popen[str]) -> dict[str, object]:
    assert up.stdout is not None
    described: dict[str, object] = json.loads(up.stdout.readline())  # its readiness signal
    return described


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_tpcd_up_stopped_leaves_nothing(stop: signal.Signals, tmp_path: Path) -> None:
    with marked_tmpdir() as tmpdir, _up(tmpdir, tmp_path / "stack") as up:
        marker = f"TMPDIR={tmpdir}"
        try:
            _ready(up)
            seen = footprint(marker)
            up.send_signal(stop)
            assert up.wait(timeout=STOPS_WITHIN) == 0
        finally:
            if up.poll() is None:
                up.kill()
        assert seen.ports
        assert seen.namespaces
        assert not left_behind(seen, marker)
        assert contents(tmpdir) == []
        assert contents(tmp_path / "stack") == ["captcha-ca.pem", "moica-test-chain.pem"]  # no token, no stack.json


def test_tpcd_up_killed_takes_pcscd_along_and_the_next_start_sweeps_its_folders(tmp_path: Path) -> None:
    with marked_tmpdir() as tmpdir:
        marker = f"TMPDIR={tmpdir}"
        with _up(tmpdir, tmp_path / "stack") as killed:
            try:
                _ready(killed)
                seen = footprint(marker)
                killed.send_signal(signal.SIGKILL)  # no handler, no `finally`: only what the kernel does
                killed.wait()
            finally:
                if killed.poll() is None:
                    killed.kill()
        assert any("pcscd" in command for command in seen.processes.values())
        assert not left_behind(seen, marker), "pcscd (or another child) outlived the killed tpcd up"
        left = {Path(name).parts[0] for name in contents(tmpdir)}
        assert {f"tpcd-pcscd-{killed.pid}"} < left, left  # its folders stay, for now

        with _up(tmpdir, tmp_path / "stack") as again:
            try:
                _ready(again)
                assert not left & {Path(name).parts[0] for name in contents(tmpdir)}, "the next start swept them"
                again_seen = footprint(marker)
                again.send_signal(signal.SIGTERM)
                assert again.wait(timeout=STOPS_WITHIN) == 0
            finally:
                if again.poll() is None:
                    again.kill()
        assert not left_behind(again_seen, marker)
        assert contents(tmpdir) == []


# A suite whose one test waits, and whose fixture notes its teardown: the soak's pytest child, interrupted.
WAITING_SUITE = """
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def noted():
    yield
    (HERE / "torn-down").touch()


def test_waits(noted):
    (HERE / "started").touch()  # once the fixture is set up: a Ctrl-C that comes at once still finds its teardown
    threading.Event().wait(120)
"""


@pytest.mark.parametrize("launcher", [[], SIGINT_IGNORED], ids=["from-a-terminal", "from-a-background-job"])
def test_soak_stopped_by_sigterm_stops_its_pytest_after_teardown(launcher: list[str], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-p no:allure_pytest"\n')
    (tmp_path / "test_waiting.py").write_text(WAITING_SUITE, encoding="utf-8")
    command = [*launcher, sys.executable, "-m", "bench.soak", "--rounds", "2", "-n", "0", "--suite", str(tmp_path)]
    command += ["--output", str(tmp_path / "soak")]
    with marked_tmpdir() as tmpdir:
        marker = f"TMPDIR={tmpdir}"
        with subprocess.Popen(command, cwd=ROOT, env=_environ(tmpdir), stdout=subprocess.PIPE, text=True) as soak:
            try:
                wait_until(
                    lambda: True if (tmp_path / "started").exists() else None, timeout=STARTS_WITHIN, what="no test ran"
                )
                seen = footprint(marker)
                soak.send_signal(signal.SIGTERM)
                out, _ = soak.communicate(timeout=STOPS_WITHIN)
            finally:
                if soak.poll() is None:
                    soak.kill()
        assert soak.returncode == 128 + signal.SIGTERM, out
        assert "round  1/2: interrupted (SIGTERM)" in out
        assert (tmp_path / "torn-down").exists(), "the test's teardown ran"
        assert len(seen.processes) >= 2, "the soak and its pytest"
        assert not left_behind(seen, marker)
        assert contents(tmpdir) == []


# A child that says when it is ready, and notes a Ctrl-C (KeyboardInterrupt) in a file before it exits.
NOTING_CHILD = """
import sys, threading
from pathlib import Path
try:
    print("ready", flush=True)  # inside the try: a Ctrl-C may come as soon as this is read
    threading.Event().wait(120)
except KeyboardInterrupt:
    Path(sys.argv[1]).write_text("interrupted")
"""


_PIPED: list[subprocess.Popen[Any]] = []  # children whose output a test read: their pipes closed after


def _close_pipes() -> None:
    while _PIPED:
        child = _PIPED.pop()
        if child.stdout is not None:
            child.stdout.close()


def test_a_stop_signal_between_two_runs_starts_no_more(tmp_path: Path) -> None:
    with Interrupts() as interrupts:
        os.kill(os.getpid(), signal.SIGTERM)  # handled at once, in this (the main) thread
        finished = interrupts.run([sys.executable, "-c", NOTING_CHILD, str(tmp_path / "noted")], cwd=ROOT)
    assert finished == interrupts_module.Finished(128 + signal.SIGTERM, signal.SIGTERM)
    assert not (tmp_path / "noted").exists(), "no child was started"


def test_a_stop_signal_while_the_child_starts_reaches_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = bound_popen

    def start_then_signal(command: list[str], **popen: Any) -> subprocess.Popen[Any]:
        child = started(command, stdout=subprocess.PIPE, **{k: v for k, v in popen.items() if k != "stdout"})
        _PIPED.append(child)
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        os.kill(os.getpid(), signal.SIGTERM)  # after the child exists, before the run knows of it
        return child

    monkeypatch.setattr(interrupts_module, "bound_popen", start_then_signal)
    with Interrupts() as interrupts:
        finished = interrupts.run([sys.executable, "-c", NOTING_CHILD, str(tmp_path / "noted")], cwd=ROOT)
    _close_pipes()
    assert finished.interrupted is signal.SIGTERM
    assert (tmp_path / "noted").read_text() == "interrupted", "the child got the Ctrl-C and ran its handler"


def test_a_child_started_with_sigint_ignored_upstream_still_takes_the_ctrl_c(tmp_path: Path) -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job's shell leaves it
    try:
        with Interrupts() as interrupts:
            child_started = bound_popen

            def launched(command: list[str], **popen: Any) -> subprocess.Popen[Any]:
                child = child_started(
                    command, stdout=subprocess.PIPE, **{k: v for k, v in popen.items() if k != "stdout"}
                )
                _PIPED.append(child)
                assert child.stdout is not None
                assert child.stdout.readline() == b"ready\n"
                os.killpg(child.pid, signal.SIGINT)  # a Ctrl-C to its group, once it is ready
                return child

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(interrupts_module, "bound_popen", launched)
                finished = interrupts.run([sys.executable, "-c", NOTING_CHILD, str(tmp_path / "noted")], cwd=ROOT)
    finally:
        signal.signal(signal.SIGINT, previous)
        _close_pipes()
    assert finished.interrupted is None
    assert (tmp_path / "noted").read_text() == "interrupted", "SIGINT reached the child at its default, not ignored"
