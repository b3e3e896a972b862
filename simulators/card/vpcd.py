"""The vpcd link: puts a card OS into a pcscd reader slot. Connecting inserts the card; closing removes it.

Written by hand instead of vsmartcard's `VirtualICC` because that class calls `logging.basicConfig` in its
constructor and `sys.exit()` when vpcd hangs up, cannot set TCP_QUICKACK, cannot enter pcscd's private network
namespace, and has no clean removal. The framing (vsmartcard `doc/api.txt`): every message is a 2-byte big-endian
length then the bytes; a 1-byte message from vpcd is a control (0 power off, 1 power on, 2 reset, 4 send the ATR).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import struct
import threading
from pathlib import Path
from typing import Protocol

from simulators.card.card_os import CardPulledOut

CLONE_NEWNET = 0x40000000
POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


class CardOS(Protocol):
    """What vpcd drives (vsmartcard's SmartcardOS interface)."""

    def getATR(self) -> bytes: ...
    def powerUp(self) -> None: ...
    def powerDown(self) -> None: ...
    def reset(self) -> None: ...
    def execute(self, msg: bytes) -> bytes: ...


def enter_network_namespace(path: Path) -> None:
    """Move the calling thread (only it) into the network namespace at `path` (setns(2); os.setns is 3.12+)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with path.open("rb") as handle:
        if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns into {path} failed: {os.strerror(error)}")


class VpcdLink:
    """One card in one vpcd slot, served from a daemon thread."""

    def __init__(self, card: CardOS, port: int, *, netns: Path | None = None, host: str = "127.0.0.1") -> None:
        self.card, self.port, self.netns, self.host = card, port, netns, host
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._seen = threading.Event()  # vpcd spoke to the card: it accepted this connection (it polls the ATR)
        self.error: BaseException | None = None

    def insert(self, timeout: float = 5.0) -> None:
        """Connect to vpcd (the card enters the slot); raise if the connection cannot be made."""
        if self._thread is not None:
            raise RuntimeError("a card is already in this slot")
        self._connected.clear()
        self._seen.clear()
        self.error = None
        self._thread = threading.Thread(target=self._serve, name=f"vpcd-card-{self.port}", daemon=True)
        self._thread.start()
        if not self._connected.wait(timeout) or self.error is not None:
            error = self.error
            self.remove()
            raise ConnectionError(
                f"could not reach vpcd on {self.host}:{self.port} ({error!r}): is vsmartcard's vpcd running there and"
                " its port open to this machine?"
            )

    def remove(self) -> None:
        """Close the connection (the card leaves the slot) and wait for the thread to end."""
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by vpcd
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def wait_seen(self, timeout: float) -> None:
        """Block until vpcd has spoken to the card: it accepted this connection and asked for the ATR, which is how it
        looks for a card (vsmartcard `vicc_present`: accept, then GET ATR; every ~0.4 s on Linux, every 1 s on
        Windows). A connection that vpcd leaves in its backlog is never seen: another card holds that slot."""
        if not self._seen.wait(timeout):
            raise TimeoutError(
                f"vpcd on {self.host}:{self.port} accepted the connection but never asked for the card within"
                f" {timeout}s: is another card plugged into that reader?"
            )

    @property
    def inserted(self) -> bool:
        """True while the card is connected."""
        return self._thread is not None and self._thread.is_alive()

    def _serve(self) -> None:
        try:
            if self.netns is not None:
                enter_network_namespace(self.netns)
            sock = socket.create_connection((self.host, self.port), timeout=5)
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket = sock
        except BaseException as error:
            self.error = error
            self._connected.set()
            return
        self._connected.set()
        try:
            while True:
                # vpcd writes the length and the APDU in two send()s: without QUICKACK, delayed ACK adds ~44 ms
                # per APDU (docs/environment.md#pcsc-and-the-virtual-card). Linux re-arms delayed ACK, so set it before
                # every recv.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                header = self._read(sock, 2)
                if header is None:
                    return
                message = self._read(sock, struct.unpack("!H", header)[0])
                if message is None:
                    return
                self._seen.set()
                try:
                    reply = self._answer(message)
                except CardPulledOut:
                    sock.close()  # out of the reader mid-command: vpcd sees it gone, PC/SC reports it removed
                    return
                if reply is not None:
                    sock.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return  # removed: the socket was shut down under us

    def _answer(self, message: bytes) -> bytes | None:
        if len(message) != 1:
            return self.card.execute(message)
        control = message[0]
        if control == GET_ATR:
            return self.card.getATR()
        if control == POWER_ON:
            self.card.powerUp()
        elif control == POWER_OFF:
            self.card.powerDown()
        elif control == RESET:
            self.card.reset()
        return None

    @staticmethod
    def _read(sock: socket.socket, size: int) -> bytes | None:
        chunks, needed = [], size
        while needed:
            chunk = sock.recv(needed)
            if not chunk:
                return None
            chunks.append(chunk)
            needed -= len(chunk)
        return b"".join(chunks)
