"""A child run that ends with its parent on any system: the lifeline, a loopback connection only the parent holds open.

On Linux a child of `tpcd run` or `tpcd certify-agent` is bound to its parent by the kernel (setpriv --pdeathsig) and
stopped through its process group. Windows has neither, and macOS has no parent-death signal, where vendors certify
their builds. There the parent listens on a loopback port of its own and names it to the child (HARNESS_LIFELINE:
host, port and a one-time token); a thread in the child connects, and reads until the connection closes. When the
parent ends, however it ends (even killed outright), the system closes its end; the parent closes it on purpose to
stop the child (its own Ctrl-C or SIGTERM, forwarded). Either way the child stops as a Ctrl-C stops it: its teardown
runs. A connection, unlike an inherited pipe, needs no descriptor or handle passed down, so it works the same on
every system; the child starts in a process group of its own, so a terminal's Ctrl-C reaches only the parent.

HARNESS_PORTABLE_GUARDS=1 takes this way on Linux too (the tests of the fallback do).
"""

from __future__ import annotations

import _thread
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
from typing import Any

VARIABLE = "HARNESS_LIFELINE"  # "127.0.0.1:PORT:TOKEN": where the child connects
FORCE = "HARNESS_PORTABLE_GUARDS"  # "1": the lifeline even where setpriv and process groups would do
LOOPBACK = "127.0.0.1"


def kernel_guards() -> bool:
    """Whether this machine binds children the Linux way (setpriv --pdeathsig, a process group to signal)."""
    return sys.platform == "linux" and shutil.which("setpriv") is not None and os.environ.get(FORCE) != "1"


class Lifeline:
    """The parent's end: start the child with `popen_options()` and `variables()`, `cut()` to stop it."""

    def __init__(self) -> None:
        self._server = socket.create_server((LOOPBACK, 0))
        self._token = secrets.token_hex(16)
        self._lock = threading.Lock()
        self._held: socket.socket | None = None
        self._cut = False
        threading.Thread(target=self._accept, name="lifeline", daemon=True).start()

    def variables(self) -> dict[str, str]:
        """The environment variable that tells the child where to connect."""
        return {VARIABLE: f"{LOOPBACK}:{self._server.getsockname()[1]}:{self._token}"}

    @staticmethod
    def popen_options() -> dict[str, Any]:
        """Popen keywords that start the child in a process group of its own."""
        if sys.platform == "win32":
            return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        return {"process_group": 0}

    def _accept(self) -> None:
        """Hold the first connection that brings the token; turn away any other."""
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # cut
            connection.settimeout(10)
            received = b""
            try:
                while len(received) < len(self._token) and (chunk := connection.recv(64)):
                    received += chunk
            except OSError:
                received = b""
            with self._lock:
                if received == self._token.encode() and not self._cut:
                    self._held = connection
                    self._server.close()
                    return
            connection.close()

    def cut(self) -> None:
        """Stop the child as a Ctrl-C would (it sees the connection close, or cannot connect); once."""
        with self._lock:
            self._cut = True
            self._server.close()
            if self._held is not None:
                self._held.close()
                self._held = None


def watch_parent() -> bool:
    """In a child started with a lifeline: stop as on Ctrl-C once the parent ends or cuts it. False without one.

    The variable is taken out of the environment, so the child's own children (pytest-xdist workers) never hold the
    line in its place."""
    host, _, rest = os.environ.pop(VARIABLE, "").partition(":")
    port, _, token = rest.partition(":")
    if not (host and port.isdigit() and token):
        return False
    threading.Thread(target=_wait, args=(host, int(port), token), name="parent-lifeline", daemon=True).start()
    return True


def _wait(host: str, port: int, token: str) -> None:
    """Hold the line until it closes (the parent never writes), then stop."""
    if sys.platform != "win32":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # the SIGINT below is for the other threads
    try:
        with socket.create_connection((host, port), timeout=30) as line:
            line.sendall(token.encode())
            line.settimeout(None)
            while line.recv(64):
                pass
    except OSError:
        pass  # refused (cut before it connected), reset (the parent killed): gone either way
    stop_as_on_ctrl_c()


def stop_as_on_ctrl_c() -> None:
    """A Ctrl-C to this process (and, leading its process group, to the group: pytest-xdist's workers)."""
    if sys.platform == "win32":
        _thread.interrupt_main()
    elif os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGINT)
    else:
        os.kill(os.getpid(), signal.SIGINT)
