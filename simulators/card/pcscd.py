"""A private pcscd with vpcd reader slots, unreachable from the network.

vpcd listens on every interface (0.0.0.0), which would put a card port on the network
(docs/environment.md#pcsc-and-the-virtual-card). So pcscd runs
in its own network namespace (only its own loopback exists there) and its own mount namespace (its socket lands in a
directory of ours, not /run/pcscd). Clients reach it with PCSCLITE_CSOCK_NAME=<dir>/pcscd.comm; the card link enters
the namespace with setns(2). The system's pcscd, if any, is never touched. Needs root (unshare) and the Debian
packages pcscd and vsmartcard-vpcd.

pcscd dies with the process that started it, even a killed one (simulators.lifetime: a parent-death signal that
reaches pcscd through unshare and sh, which exec it in place), and its folder names that process as owner, so the next
start sweeps it.

Each reader.conf entry gets its own copy of libifdvpcd.so (the driver keeps per-slot state in globals) and opens two
slots (port and port + 1); we use the first of each, so one pcscd serves up to ENTRIES stacks of one process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from smartcard import scard

from simulators.lifetime import bound_popen, owned_folder

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
FIRST_PORT = 35963  # vpcd's default; free to reuse, as every pcscd has a network namespace of its own
ENTRIES = 4
READER = "TPCD Virtual Reader {index}"
OPENSC_CONF = "app opensc-pkcs11 {\n\tpkcs11 {\n\t\tslots_per_card = 1;\n\t\tmax_virtual_slots = 64;\n\t}\n}\n"


class PcscUnavailable(RuntimeError):
    """PC/SC cannot be offered here; the message names the missing package or privilege."""


def listening(pid: int, port: int) -> bool:
    """Whether something in the namespace of `pid` listens on TCP `port` (read from /proc: probing vpcd would
    be taken for a card)."""
    try:
        lines = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(f":{port:04X}" in parts[1] and parts[3] == "0A" for parts in (line.split() for line in lines))


class PcscHost:
    """One private pcscd with ENTRIES vpcd readers; slots are handed out to stacks."""

    def __init__(self, entries: int = ENTRIES, timeout: float = 10.0) -> None:
        self.entries, self.timeout = entries, timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None
        self._free = list(range(entries))
        self._lock = threading.Lock()

    @property
    def socket_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "run" / "pcscd.comm"

    @property
    def netns(self) -> Path:
        assert self.process is not None
        return Path(f"/proc/{self.process.pid}/ns/net")

    @staticmethod
    def port(index: int) -> int:
        return FIRST_PORT + 2 * index

    @staticmethod
    def reader_name(index: int) -> str:
        """The PC/SC name of the slot we use for entry `index`."""
        return READER.format(index=index) + " 00 00"

    def start(self) -> PcscHost:
        """Start pcscd and wait until its socket exists and every vpcd slot listens."""
        pcscd, unshare = shutil.which("pcscd") or "/usr/sbin/pcscd", shutil.which("unshare")
        if not Path(pcscd).exists():
            raise PcscUnavailable("pcscd is not installed: apt-get install -y pcscd (or `make setup`)")
        if not VPCD_DRIVER.exists():
            raise PcscUnavailable(f"{VPCD_DRIVER} is missing: apt-get install -y vsmartcard-vpcd (or `make setup`)")
        if unshare is None or os.geteuid() != 0:
            raise PcscUnavailable("a private pcscd needs root and unshare(1) (util-linux) to get its own namespaces")
        # One path per process: libpcsclite caches the socket name at a process's first PC/SC context, so a pcscd
        # restarted later in the same process (a second stack) must listen where the first one did.
        workdir = Path(tempfile.gettempdir()) / f"tpcd-pcscd-{os.getpid()}"
        shutil.rmtree(workdir, ignore_errors=True)
        self.workdir = owned_folder(workdir)
        try:
            self._configure()
            self._launch(unshare, pcscd)
        except BaseException:  # an interrupt while pcscd comes up leaves neither it nor its folder
            self.stop()
            raise
        # libpcsclite reads the socket path from the environment, once, at a process's first PC/SC context: this is
        # the one place the harness writes os.environ, before any PC/SC use in this process. OpenSC reads its
        # configuration's path there too, at its first context (OPENSC_CONF, below).
        os.environ["PCSCLITE_CSOCK_NAME"] = str(self.socket_path)
        os.environ["OPENSC_CONF"] = str(self.workdir / "opensc.conf")
        return self

    def _configure(self) -> None:
        """reader.conf with one vpcd entry (and its own copy of the driver) per reader."""
        assert self.workdir is not None
        (self.workdir / "run").mkdir()
        conf = self.workdir / "reader.conf.d"
        conf.mkdir()
        entries = []
        for index in range(self.entries):
            driver = self.workdir / f"libifdvpcd-{index}.so"
            shutil.copyfile(VPCD_DRIVER, driver)
            port = self.port(index)
            name = READER.format(index=index)
            entries.append(f'FRIENDLYNAME "{name}"\nDEVICENAME /dev/null:{port}\nLIBPATH {driver}\nCHANNELID {port}\n')
        (conf / "tpcd-vpcd").write_text("\n".join(entries))
        # OpenSC's PKCS#11 module gives each reader 4 slots of at most 16 by default: it would see the first 4 of our
        # 2 * ENTRIES readers only. One slot per reader (one per PIN of the card's PIV application) and room for all.
        (self.workdir / "opensc.conf").write_text(OPENSC_CONF)
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)  # the mount point inside the private namespace

    def _launch(self, unshare: str, pcscd: str) -> None:
        """Run pcscd on our configuration in fresh private namespaces; wait until its socket and every slot listen."""
        assert self.workdir is not None
        conf = self.workdir / "reader.conf.d"
        # setpriv, unshare and sh each exec the next in place, so pcscd is the process that got the parent-death
        # signal, and sh's $PPID is still this process unless it died before the signal was set (then: no pcscd).
        script = (
            f'[ "$PPID" = {os.getpid()} ] && ip link set lo up && mount --bind {self.workdir / "run"} /run/pcscd'
            f" && exec {pcscd} --foreground --config {conf}"
        )
        with (self.workdir / "pcscd.log").open("wb") as log:  # the child keeps its own copy of the descriptor
            self.process = bound_popen(
                [unshare, "--mount", "--net", "--propagation", "private", "sh", "-c", script],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.timeout
        while not (
            self.socket_path.exists() and all(listening(self.process.pid, self.port(i)) for i in range(self.entries))
        ):
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.workdir / "pcscd.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise PcscUnavailable(f"pcscd did not come up within {self.timeout}s:\n{output}")
            time.sleep(0.01)

    def in_use(self) -> int:
        """How many reader entries are handed out."""
        with self._lock:
            return self.entries - len(self._free)

    def suspend(self) -> None:
        """Stop pcscd but keep its configuration: every reader is gone, as on a machine whose last reader was
        unplugged (Windows 8 and later stop their smart-card service then too)."""
        self._terminate()

    def resume(self) -> None:
        """Start pcscd again where it was (same socket, same readers)."""
        if self.process is None:
            self._launch(shutil.which("unshare") or "unshare", shutil.which("pcscd") or "/usr/sbin/pcscd")

    def _terminate(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def acquire(self) -> int:
        """A free reader entry for one stack."""
        with self._lock:
            if not self._free:
                raise PcscUnavailable(f"all {self.entries} virtual readers of this process are in use")
            return self._free.pop(0)

    def release(self, index: int) -> None:
        with self._lock:
            self._free.append(index)

    def stop(self) -> None:
        """SIGTERM pcscd (its namespaces go with it) and remove our files."""
        self._terminate()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


_shared: PcscHost | None = None
_users = 0
_shared_lock = threading.Lock()


def acquire_host() -> PcscHost:
    """This process's pcscd, started on first use (libpcsclite can talk to only one per process)."""
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            _shared = PcscHost().start()
        _users += 1
        return _shared


def release_host() -> None:
    """Stop this process's pcscd when its last user is done."""
    global _shared, _users
    with _shared_lock:
        _users -= 1
        if _users == 0 and _shared is not None:
            _shared.stop()
            _shared = None


def wait_for_card(reader: str, *, present: bool, timeout: float = 5.0) -> None:
    """Block until pcscd reports a card in `reader` (or none), with SCardGetStatusChange: no sleeping."""
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable(f"SCardEstablishContext: {scard.SCardGetErrorMessage(result)}")
    try:
        states = [(reader, scard.SCARD_STATE_UNAWARE)]
        deadline = time.monotonic() + timeout
        while True:
            remaining = int(max(0.0, deadline - time.monotonic()) * 1000)
            result, states = scard.SCardGetStatusChange(context, remaining, states)
            if result not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
                raise PcscUnavailable(f"SCardGetStatusChange({reader}): {scard.SCardGetErrorMessage(result)}")
            state = states[0][1]
            if bool(state & scard.SCARD_STATE_PRESENT) == present and not state & scard.SCARD_STATE_MUTE:
                return
            if result == scard.SCARD_E_TIMEOUT or time.monotonic() >= deadline:
                what = "a card" if present else "no card"
                raise TimeoutError(f"pcscd did not report {what} in {reader!r} within {timeout}s")
            states = [(reader, state)]
    finally:
        scard.SCardReleaseContext(context)
