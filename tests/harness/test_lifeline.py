"""The portable guards of a child run (harness/lifeline.py), forced on Linux: where Windows and macOS take them.

The parent is `run_interruptible` in a process of its own with HARNESS_PORTABLE_GUARDS=1: no setpriv, no signal to a
process group. Its child notes when it started and when its Ctrl-C teardown ran. Killed outright (SIGKILL: no handler,
no `finally`), the parent leaves only what the system does, closing its connections; stopped with SIGTERM, it closes
the lifeline itself; either way the child stops after its teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.lifeline import FORCE, VARIABLE, kernel_guards, watch_parent
from simulators.client import wait_until

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import os, sys, threading
from pathlib import Path
from harness.lifeline import watch_parent

here = Path(sys.argv[1])
watching = watch_parent()
try:  # before "started": the test stops the parent once it sees it, and the interrupt may come at once
    (here / "starting").write_text(f"{os.getpid()} {watching} {os.environ.get('HARNESS_LIFELINE')}")
    (here / "starting").rename(here / "started")
    threading.Event().wait(120)
except KeyboardInterrupt:
    (here / "torn-down").touch()
"""
PARENT = """
import sys
from pathlib import Path
from harness.interrupts import run_interruptible

finished = run_interruptible([sys.executable, sys.argv[1], sys.argv[2]], cwd=Path(sys.argv[2]))
sys.exit(finished.exit_code)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"


def _start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The parent under forced portable guards, and its child's PID once the child watches its lifeline."""
    child = tmp_path / "child.py"
    child.write_text(CHILD, encoding="utf-8")
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(child), str(tmp_path)], cwd=ROOT, env={**os.environ, FORCE: "1"}
    )
    started = tmp_path / "started"
    wait_until(lambda: started.exists() or None, timeout=60, what="the child never started")
    pid, watching, variable = started.read_text().split()
    assert watching == "True", "the child found no lifeline"
    assert variable == "None", "the lifeline's name stays in the environment (grandchildren would read it)"
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert f"{VARIABLE}=127.0.0.1:".encode() in environ, "not started through the lifeline"
    return parent, int(pid)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["parent-killed", "parent-stopped"])
def test_the_child_stops_after_its_teardown_when_the_parent_goes(stop: signal.Signals, tmp_path: Path) -> None:
    parent, child = _start(tmp_path)
    try:
        parent.send_signal(stop)
        code = parent.wait(timeout=60)
        wait_until(lambda: not _alive(child) or None, timeout=60, what="the child outlived its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
        if _alive(child):
            os.kill(child, signal.SIGKILL)
    assert (tmp_path / "torn-down").exists(), "the child was not stopped as a Ctrl-C stops it"
    assert code == (-signal.SIGKILL if stop == signal.SIGKILL else 128 + signal.SIGTERM)


def test_the_force_switch_and_a_child_without_a_lifeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE, "1")
    assert not kernel_guards()
    monkeypatch.delenv(VARIABLE, raising=False)
    assert watch_parent() is False
