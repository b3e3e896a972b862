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
from pathlib import Path

import pytest

from harness.lifeline import FORCE
from simulators._client import wait_until
from tests.processes import Footprint, contents, footprint, left_behind, marked_tmpdir

ROOT = Path(__file__).resolve().parents[2]
TPCD = [sys.executable, "-m", "harness.cli"]
SCENARIO = "journey and 手機"  # long enough to be interrupted in the middle


def _environ(tmpdir: Path, **more: str) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmpdir), **more}


def _mid_scenario(marker: str) -> Footprint:
    """What the run holds once a page is open in Chromium (a renderer runs: a scenario is under way)."""

    def renderer() -> Footprint | None:
        now = footprint(marker)
        rendering = any("--type=renderer" in command for command in now.processes.values())
        return now if rendering and any("pcscd" in command for command in now.processes.values()) else None

    return wait_until(renderer, timeout=600, what="no scenario opened a page")


@pytest.mark.parametrize(
    ("stop", "workers", "guards"),
    [(signal.SIGINT, ["-n", "0"], {}), (signal.SIGTERM, ["-n", "2"], {}), (signal.SIGTERM, ["-n", "2"], {FORCE: "1"})],
    ids=["sigint", "sigterm-xdist", "sigterm-xdist-portable-guards"],  # the last as on Windows and macOS
)
def test_tpcd_run_interrupted_mid_scenario_leaves_nothing(
    stop: signal.Signals, workers: list[str], guards: dict[str, str], tmp_path: Path
) -> None:
    with marked_tmpdir() as tmpdir:
        marker = f"TMPDIR={tmpdir}"
        command = [*TPCD, "run", "-k", SCENARIO, *workers, "-p", "no:cacheprovider"]
        environ = _environ(tmpdir, TPCD_REPORTS_DIR=str(tmp_path / "reports"), **guards)
        with subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as run:
            try:
                seen = _mid_scenario(marker)
                run.send_signal(stop)
                out, err = run.communicate(timeout=90)
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
            assert up.wait(timeout=30) == 0
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
                assert again.wait(timeout=30) == 0
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
    (HERE / "started").touch()
    yield
    (HERE / "torn-down").touch()


def test_waits(noted):
    threading.Event().wait(120)
"""


def test_soak_stopped_by_sigterm_stops_its_pytest_after_teardown(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-p no:allure_pytest"\n')
    (tmp_path / "test_waiting.py").write_text(WAITING_SUITE, encoding="utf-8")
    command = [sys.executable, "-m", "bench.soak", "--rounds", "2", "-n", "0", "--suite", str(tmp_path)]
    command += ["--output", str(tmp_path / "soak")]
    with marked_tmpdir() as tmpdir:
        marker = f"TMPDIR={tmpdir}"
        with subprocess.Popen(command, cwd=ROOT, env=_environ(tmpdir), stdout=subprocess.PIPE, text=True) as soak:
            try:
                wait_until(lambda: True if (tmp_path / "started").exists() else None, timeout=60, what="no test ran")
                seen = footprint(marker)
                soak.send_signal(signal.SIGTERM)
                out, _ = soak.communicate(timeout=60)
            finally:
                if soak.poll() is None:
                    soak.kill()
        assert soak.returncode == 128 + signal.SIGTERM, out
        assert "round  1/2: interrupted (SIGTERM)" in out
        assert (tmp_path / "torn-down").exists(), "the test's teardown ran"
        assert len(seen.processes) >= 2, "the soak and its pytest"
        assert not left_behind(seen, marker)
        assert contents(tmpdir) == []
