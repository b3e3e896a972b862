"""A listener speaking vpcd's framing (vsmartcard doc/api.txt) that stands in for the driver of another machine's
reader, for the tests of `tpcd card`."""

from __future__ import annotations

import socket
import struct
import threading

SELECT_MOICA = bytes.fromhex("00A404000AD158000001") + b"MOICA"


class FakeVpcd:
    """A vpcd reader slot as the driver behaves: listen, accept one card, ask for its ATR, send it an APDU."""

    def __init__(self, *, polls: bool = True) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.polls = polls
        self.atr: bytes | None = None
        self.response: bytes | None = None
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _exchange(self, connection: socket.socket, message: bytes) -> bytes:
        connection.sendall(struct.pack("!H", len(message)) + message)
        size = struct.unpack("!H", connection.recv(2, socket.MSG_WAITALL))[0]
        return connection.recv(size, socket.MSG_WAITALL)

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            if self.polls:
                self.atr = self._exchange(connection, bytes([4]))  # VPCD_CTRL_ATR
                self.response = self._exchange(connection, SELECT_MOICA)
            self.done.set()
            connection.recv(1)  # until the card leaves

    def close(self) -> None:
        self.listener.close()
