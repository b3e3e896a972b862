"""The `tpcd` command as a test runs it, a child process like a user's: the command, its readiness line, its stop."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys

TPCD = [sys.executable, "-m", "harness.cli"]


def first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The process's first line on stdout (its readiness signal), waiting at most `timeout`."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as waiting:
        waiting.register(process.stdout, selectors.EVENT_READ)
        if not waiting.select(timeout):
            raise TimeoutError(f"{process.args!r} printed nothing within {timeout}s")
    return process.stdout.readline()


def stop(process: subprocess.Popen[str]) -> int | str:
    """SIGTERM, then the exit code; killed (with its group) if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return "killed: it did not stop within 20 s of SIGTERM"
    finally:
        if process.stdout is not None:
            process.stdout.close()
