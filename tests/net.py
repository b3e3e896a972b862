"""Network checks the tests share."""

from __future__ import annotations

import socket


def port_closed(url: str) -> bool:
    """Whether nothing listens at `url`'s host and port any more."""
    host, port = url.split("://", 1)[-1].split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port.split("/")[0]))) != 0
