"""A suite run as a child (`tpcd run`, `tpcd certify-agent`, `make soak`) that stops as a Ctrl-C stops it: cleanly.

`subprocess.run` kills its child 0.25 s after a KeyboardInterrupt (CPython bpo-25942), long before pytest has torn its
stacks down, and a SIGTERM to the parent leaves the child running alone. Here the child gets a process group of its
own (a terminal's Ctrl-C then reaches only the parent), and the parent hands the first SIGINT or SIGTERM it gets to
that whole group as one SIGINT: pytest, its xdist workers and their Playwright drivers stop as on a Ctrl-C, after
their teardown, and the parent waits for that. Killed outright, the parent takes the child with it (SIGTERM through
the parent-death signal, which the harness's pytest plugin also turns into that Ctrl-C).

Where the kernel cannot do that (Windows, macOS: no setpriv, no parent-death signal; Windows: no process groups to
signal), the child holds a lifeline instead (harness/lifeline.py): a loopback connection the parent closes to stop
it, and that the system closes when the parent dies; the child's pytest watches it (the certify suite's conftest, the
harness plugin).

The child's temp directory (TMPDIR) is a folder of the run's own, so everything it and its children leave there
(pytest's basetemp, the stacks', pcscd's, Playwright's and Chromium's temp folders) goes when the run ends, and is
swept by the next run if this one is killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from harness.lifeline import Lifeline, kernel_guards
from simulators.lifetime import bound_popen, claim, owned_tempdir, sweep

STOPS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True, slots=True)
class Finished:
    """How a child run ended: its exit code, and the signal that interrupted it, if one did."""

    code: int
    interrupted: signal.Signals | None = None

    @property
    def exit_code(self) -> int:
        """What the parent exits with: the shell's 128 + signal number when interrupted, else the child's code."""
        return 128 + self.interrupted if self.interrupted is not None else self.code


class Interrupts:
    """SIGINT and SIGTERM taken over for a span of one or more child runs: the first one is remembered and handed to the
    running child's process group as one SIGINT, and no child starts once one came (a soak between two rounds).

    The handler is in place before any child is forked, for two reasons: a signal that comes while the child starts is
    not lost, and the child starts with SIGINT at its default. A handler is reset to the default across execve, but an
    ignored signal stays ignored; a run started from a shell's background job (`make test &` in a script, many CI
    runners) inherits SIGINT ignored, and its Python would then never turn the Ctrl-C it is sent into a
    KeyboardInterrupt: the child would run on, its teardown never started.
    """

    def __init__(self) -> None:
        self.received: list[signal.Signals] = []
        self._child: subprocess.Popen[Any] | None = None
        self._lifeline: Lifeline | None = None
        self._previous: dict[signal.Signals, Any] = {}

    @property
    def stopped(self) -> signal.Signals | None:
        """The first stop signal received in this span, if any."""
        return self.received[0] if self.received else None

    def __enter__(self) -> Interrupts:
        # Only the main thread may take signals over; elsewhere (a notebook's worker thread) its host keeps them.
        if threading.current_thread() is threading.main_thread():
            self._previous = {stop: signal.signal(stop, self._forward) for stop in STOPS}
        return self

    def __exit__(self, *exc: object) -> None:
        for stop, handler in self._previous.items():
            signal.signal(stop, handler)

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        child = self._child
        if self.received and child is not None:
            print(
                f"tpcd: still stopping the run cleanly (pid {child.pid}); `kill -9 {os.getpid()}` stops at once, "
                "and the next run sweeps what that leaves",
                file=sys.stderr,
                flush=True,
            )
        elif child is not None:
            self._interrupt(child)
        self.received.append(signal.Signals(signum))

    def _interrupt(self, child: subprocess.Popen[Any]) -> None:
        if self._lifeline is not None:
            self._lifeline.cut()  # the child stops as on a Ctrl-C when its lifeline closes
        elif child.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.killpg(child.pid, signal.SIGINT)

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        stdout: IO[Any] | None = None,
        stderr: IO[Any] | int | None = None,
    ) -> Finished:
        """Run `command` to its end, or not at all when a stop signal already came in this span."""
        if self.received:
            return Finished(128 + self.received[0], self.received[0])
        sweep()
        run_dir = owned_tempdir("tpcd-run-")
        self._lifeline = None if kernel_guards() else Lifeline()
        try:
            environment = {**(os.environ if env is None else env), "TMPDIR": str(run_dir)}
            popen: dict[str, Any] = {"cwd": cwd, "stdout": stdout, "stderr": stderr}
            if self._lifeline is None:
                child = bound_popen(
                    list(command), death_signal=signal.SIGTERM, env=environment, process_group=0, **popen
                )
            else:
                environment |= self._lifeline.variables()
                child = subprocess.Popen(list(command), env=environment, **self._lifeline.popen_options(), **popen)
            claim(run_dir, child.pid)  # its teardown may outlast this process: the folder is the child's too
            self._child = child
            if self.received:  # it came while the child was starting: hand it on now
                self._interrupt(child)
            try:
                code = child.wait()
            finally:
                self._child = None
        finally:
            if self._lifeline is not None:
                self._lifeline.cut()
                self._lifeline = None
            shutil.rmtree(run_dir, ignore_errors=True)
        return Finished(code, self.stopped)


def run_interruptible(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdout: IO[Any] | None = None,
    stderr: IO[Any] | int | None = None,
) -> Finished:
    """Run `command` to its end; SIGINT or SIGTERM here stops it as a Ctrl-C does and is reported, not raised."""
    with Interrupts() as interrupts:
        return interrupts.run(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr)
