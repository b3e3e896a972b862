"""Nothing a run starts outlives it: children that die with their parent, folders that name their owner.

A `finally` runs on Ctrl-C and SIGTERM, never on SIGKILL (or an OOM kill, or a crash). So the two things a killed run
would leave are handled apart from it:
- a child process (pcscd, the suite under `tpcd run`) is started through util-linux `setpriv --pdeathsig`, so the
  kernel signals it when its parent dies (prctl(2) PR_SET_PDEATHSIG; kept across execve, so through `unshare` and
  `sh -c "exec …"` too). The "parent" is the *thread* that forked it (prctl(2): "the signal will be sent when that
  thread terminates"), so bound children are forked from one thread that lives as long as the process;
- a temp folder records its owners (PID and the process's start time from /proc/PID/stat, so a reused PID is not
  taken for the owner), and the next start of any run sweeps the folders whose owners are all gone. A folder without
  that record is never swept: it may be a live run's of an older version.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

OWNER_FILE = ".tpcd-owner"
PREFIX = "tpcd-"  # every temp folder of the harness starts with it (tpcd-stack-, tpcd-pcscd-, tpcd-tls-, tpcd-run- …)
_PCSCD_LEGACY = re.compile(r"tpcd-pcscd-(\d+)")  # older versions named pcscd's folder by PID, with no owner record
T = TypeVar("T")
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # Windows has no SIGKILL (this module is imported there too)


def start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, /proc/PID/stat field 22), None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses: split after the last.
    return int(stat.rpartition(")")[2].split()[19])


def _owner_line(pid: int) -> str:
    return f"{pid} {start_time(pid)}\n"


def owned_tempdir(prefix: str) -> Path:
    """A new private folder in the temp directory (`prefix` + random), recording this process as its owner."""
    return owned_folder(Path(tempfile.mkdtemp(prefix=prefix)))


def owned_folder(folder: Path) -> Path:
    """`folder` (made private if new), recording this process as its owner."""
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / OWNER_FILE).write_text(_owner_line(os.getpid()))
    return folder


def claim(folder: Path, pid: int) -> None:
    """Record `pid` as another owner of `folder` (a child that may outlive the folder's maker for its teardown)."""
    with (folder / OWNER_FILE).open("a") as record:
        record.write(_owner_line(pid))


def _alive(record: str) -> bool:
    """Whether any owner in the record still runs (the same process: same PID and start time)."""
    for line in record.splitlines():
        pid, _, started = line.partition(" ")
        if pid.isdigit() and str(start_time(int(pid))) == started:
            return True
    return False


def stale(folder: Path) -> bool:
    """Whether `folder` belongs to a run that is gone; False when it cannot tell (no record: maybe a live run's)."""
    try:
        return not _alive((folder / OWNER_FILE).read_text())
    except FileNotFoundError:
        legacy = _PCSCD_LEGACY.fullmatch(folder.name)
        return legacy is not None and start_time(int(legacy.group(1))) is None
    except OSError:
        return False


def sweep(directory: Path | None = None) -> list[Path]:
    """Remove the harness's temp folders of runs that are gone (in the temp directory by default); return them."""
    directory = directory or Path(tempfile.gettempdir())
    swept: list[Path] = []
    try:
        candidates = [entry for entry in directory.iterdir() if entry.name.startswith(PREFIX)]
    except OSError:
        return swept
    for folder in candidates:
        if folder.is_dir() and not folder.is_symlink() and stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            swept.append(folder)
    return swept


class _Launcher:
    """The one thread that forks bound children, alive as long as the process (never a request's worker thread,
    whose end would signal the child)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, job: Callable[[], T]) -> T:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="bound-children", daemon=True)
                self._thread.start()
        done: Future[T] = Future()
        self._jobs.put((job, done))
        return done.result()

    def _serve(self) -> None:
        while True:
            job, done = self._jobs.get()
            try:
                done.set_result(job())
            except BaseException as error:  # handed to the caller's thread
                done.set_exception(error)


_launcher = _Launcher()


def bound_popen(command: list[str], *, death_signal: signal.Signals = KILL, **popen: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen(command, **popen)` for a child the kernel sends `death_signal` when this process dies."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise FileNotFoundError("setpriv is missing: apt-get install -y util-linux (it also provides unshare)")
    bound = [setpriv, f"--pdeathsig={death_signal.name.removeprefix('SIG')}", "--", *command]
    return _launcher.run(lambda: subprocess.Popen(bound, **popen))
