"""A child run that ends with its parent on any system: the lifeline, a pipe whose writing end only the parent holds.

On Linux a child of `tpcd run` or `tpcd certify-agent` is bound to its parent by the kernel (setpriv --pdeathsig) and
stopped through its process group. Windows has neither, and macOS has no parent-death signal, where vendors certify
their builds. There the parent hands the child the reading end of a pipe (an inherited descriptor, or handle on
Windows, named by HARNESS_LIFELINE) and keeps the writing end: when the parent ends, however it ends, the system
closes that end, and a thread in the child that reads the pipe sees it close and stops the child as a Ctrl-C does
(its teardown runs). The parent closes it on purpose to stop the child (its Ctrl-C or SIGTERM, forwarded).

HARNESS_PORTABLE_GUARDS=1 takes this way on Linux too (the tests of the fallback do).
"""

from __future__ import annotations

import _thread
import os
import shutil
import signal
import subprocess
import sys
import threading
from typing import Any

VARIABLE = "HARNESS_LIFELINE"  # "fd:N" (POSIX) or "handle:N" (Windows): the child's end of the pipe
FORCE = "HARNESS_PORTABLE_GUARDS"  # "1": the lifeline even where setpriv and process groups would do


def kernel_guards() -> bool:
    """Whether this machine binds children the Linux way (setpriv --pdeathsig, a process group to signal)."""
    return sys.platform == "linux" and shutil.which("setpriv") is not None and os.environ.get(FORCE) != "1"


class Lifeline:
    """The parent's end: start the child with `popen_options()`, call `started()`, `cut()` to stop it."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        self._held, self._cut = True, False

    def popen_options(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Popen keywords that hand the child the reading end (alone), in a process group of its own, and the
        environment variable that names it."""
        if sys.platform == "win32":
            import msvcrt

            handle = msvcrt.get_osfhandle(self._read)
            os.set_handle_inheritable(handle, True)
            startup = subprocess.STARTUPINFO(lpAttributeList={"handle_list": [handle]})
            group = subprocess.CREATE_NEW_PROCESS_GROUP  # a console's Ctrl-C reaches the parent only
            return {"startupinfo": startup, "creationflags": group}, {VARIABLE: f"handle:{handle}"}
        return {"pass_fds": (self._read,), "process_group": 0}, {VARIABLE: f"fd:{self._read}"}

    def started(self) -> None:
        """The child has its end: drop the parent's copy of it, so only the child holds it."""
        if self._held:
            self._held = False
            os.close(self._read)

    def cut(self) -> None:
        """Stop the child as a Ctrl-C would (it sees the pipe close); once."""
        self.started()  # a child that never started leaves nothing open either
        if not self._cut:
            self._cut = True
            os.close(self._write)


def watch_parent() -> bool:
    """In a child started with a lifeline: stop as on Ctrl-C once the parent ends or cuts it. False without one.

    The variable is taken out of the environment, so the child's own children (pytest-xdist workers) never read a
    descriptor number that is not theirs."""
    named = os.environ.pop(VARIABLE, "")
    kind, _, number = named.partition(":")
    if not number.isdigit():
        return False
    if sys.platform == "win32" and kind == "handle":
        import msvcrt

        descriptor = msvcrt.open_osfhandle(int(number), os.O_RDONLY)
    else:
        descriptor = int(number)
    threading.Thread(target=_wait, args=(descriptor,), name="parent-lifeline", daemon=True).start()
    return True


def _wait(descriptor: int) -> None:
    """Read until the pipe closes (the parent never writes), then stop."""
    if sys.platform != "win32":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # the SIGINT below is for the other threads
    try:
        while os.read(descriptor, 1):
            pass
    except OSError:
        pass
    stop_as_on_ctrl_c()


def stop_as_on_ctrl_c() -> None:
    """A Ctrl-C to this process (and, leading its process group, to the group: pytest-xdist's workers)."""
    if sys.platform == "win32":
        _thread.interrupt_main()
    elif os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGINT)
    else:
        os.kill(os.getpid(), signal.SIGINT)
