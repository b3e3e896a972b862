"""What a command the test started left behind: processes, listening ports, network namespaces, temp folders.

A test marks what it starts with a temp directory of its own (TMPDIR, which every child inherits: pytest, pcscd,
Playwright's driver, Chromium), and finds those processes by that mark in /proc/PID/environ: only processes this test
started are looked at, never another run's on the same machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from simulators.client import wait_until
from simulators.lifetime import bound_popen, start_time

LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp (include/net/tcp_states.h)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:  # the process ended meanwhile, or is a kernel thread
        return b""


def _parent(pid: str) -> int | None:
    stat = _read(f"/proc/{pid}/stat").decode(errors="replace")
    return int(stat.rpartition(")")[2].split()[1]) if stat else None


def marked(marker: str) -> dict[int, str]:
    """PID → command line of every process whose environment holds `marker`, and of their descendants (Chromium's
    zygote children write over their environment with their titles)."""
    pids = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    found = {int(pid) for pid in pids if marker.encode() in _read(f"/proc/{pid}/environ")}
    parents = {int(pid): _parent(pid) for pid in pids}
    while grown := {pid for pid, parent in parents.items() if parent in found} - found:
        found |= grown
    commands = {pid: _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace") for pid in found}
    return {pid: command.strip() for pid, command in commands.items() if command}


def _netns(pid: int | str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


OUR_NETNS = _netns("self")


def _listening(table: str) -> dict[int, int]:
    """Socket inode → port of each listening TCP socket in a /proc/…/net/tcp(6) table."""
    found = {}
    for line in _read(table).decode().splitlines()[1:]:
        fields = line.split()
        if fields[3] == LISTEN:
            found[int(fields[9])] = int(fields[1].rpartition(":")[2], 16)
    return found


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on in our network namespace."""
    if _netns(pid) != OUR_NETNS:
        return set()
    sockets = {**_listening(f"/proc/{pid}/net/tcp"), **_listening(f"/proc/{pid}/net/tcp6")}
    ports = set()
    with contextlib.suppress(OSError):
        for descriptor in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
                if target.startswith("socket:[") and int(target[8:-1]) in sockets:
                    ports.add(sockets[int(target[8:-1])])
    return ports


@dataclass(frozen=True)
class Footprint:
    """What marked processes hold: themselves, ports in our namespace, network namespaces of their own."""

    processes: dict[int, str]
    ports: frozenset[int]
    namespaces: frozenset[int]
    started: dict[int, int | None] = field(default_factory=dict, compare=False)  # PID → start time: the same process

    def __bool__(self) -> bool:
        return bool(self.processes or self.ports or self.namespaces)


def footprint(marker: str) -> Footprint:
    """What the processes marked with `marker` hold now."""
    processes = marked(marker)
    ports = frozenset(port for pid in processes for port in listening_ports(pid))
    namespaces = frozenset(ns for pid in processes if (ns := _netns(pid)) is not None and ns != OUR_NETNS)
    return Footprint(processes, ports, namespaces, {pid: start_time(pid) for pid in processes})


def _namespaces_held(processes: dict[int, str]) -> set[int]:
    """The network namespaces `processes` are in, or a bind mount keeps (`ip netns add`). Other processes are not
    asked: a freed namespace's inode number is soon another's (parallel runs make pcscd namespaces all the time)."""
    held = {ns for pid in processes if (ns := _netns(pid)) is not None}
    for line in _read("/proc/self/mountinfo").decode().splitlines():
        if " nsfs " in line and "net:[" in line:
            held.add(int(line.split("net:[")[1].split("]")[0]))
    return held


def _running(seen: Footprint, marker: str) -> dict[int, str]:
    """The processes of `seen` that still run (the same ones: same start time), and any marked one."""
    still = {pid: command for pid, command in seen.processes.items() if start_time(pid) == seen.started.get(pid)}
    return {**still, **marked(marker)}


def left_behind(seen: Footprint, marker: str, timeout: float = 20.0) -> Footprint:
    """What of `seen` is still there once every process of it is gone (or `timeout` passed): processes, ports still
    listening in our namespace, namespaces something still holds."""
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: True if not _running(seen, marker) else None, timeout=timeout, what="processes ended")
    running = _running(seen, marker)
    listening = {port for table in ("/proc/net/tcp", "/proc/net/tcp6") for port in _listening(table).values()}
    return Footprint(running, seen.ports & listening, seen.namespaces & _namespaces_held(running))


def contents(folder: Path) -> list[str]:
    """What is in `folder`, as relative paths (for an assertion message)."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@contextlib.contextmanager
def marked_tmpdir() -> Iterator[Path]:
    """A short temp directory (a pcscd socket path inside it must stay under 108 bytes) for one test's commands."""
    folder = Path(tempfile.mkdtemp(prefix="tpi-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def busy_machine(processes: int = 2) -> Iterator[None]:
    """`processes` programs that keep a core each busy beside a test, as other jobs would on a shared machine; they
    die with this process (the kernel's parent-death signal) and are ended in `finally`."""
    burn = [sys.executable, "-c", "while True: pass"]
    burners = [bound_popen(burn, death_signal=signal.SIGKILL) for _ in range(processes)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
