"""SIGTERM stops a run as Ctrl-C does: every fixture's teardown runs, so no stack, pcscd or temp folder is left.

Python's default for SIGTERM ends the process at once, with no `finally` (a CI runner cancelling a job, `kill`, the
parent-death signal of `tpcd run`). pytest stops cleanly on KeyboardInterrupt, and pytest-xdist on a Ctrl-C that
reaches its workers too, as a terminal's does (to the whole process group). So the first SIGTERM becomes that: a
SIGINT to the process group when pytest leads it (as under `tpcd run`, or a shell's job), else a KeyboardInterrupt
here. Later SIGTERMs are ignored, so they cannot cut the teardown short; SIGKILL still can.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

import pytest

from harness.lifeline import watch_parent

PREVIOUS_KEY = pytest.StashKey[Any]()


def _stop_as_on_ctrl_c(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGINT)  # this process included: its KeyboardInterrupt comes from there
        return
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """Take SIGTERM over for the run (in each xdist worker too); only the main thread may (a run in a notebook's
    worker thread keeps its host's handling)."""
    if threading.current_thread() is threading.main_thread():
        config.stash[PREVIOUS_KEY] = signal.signal(signal.SIGTERM, _stop_as_on_ctrl_c)
        watch_parent()  # where the kernel cannot bind this run to `tpcd run` (harness/lifeline.py)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give SIGTERM back as it was (pytest may run in-process, as in pytester)."""
    previous = config.stash.get(PREVIOUS_KEY, None)
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
