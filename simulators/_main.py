"""Run one simulator alone (`python -m simulators.<name>`): print its URL, serve until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import threading
from collections.abc import Callable
from typing import Any

from simulators._serving import serve_asgi


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_alone(name: str, create_app: Callable[[], Any], default_port: int = 0) -> None:
    """Serve `create_app()` on 127.0.0.1 until interrupted."""
    parser = argparse.ArgumentParser(prog=f"python -m simulators.{name}")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (a stack beyond it: tpcd up --listen)")
    parser.add_argument("--port", type=int, default=default_port, help="0 lets the OS choose")
    args = parser.parse_args()
    if not _loopback(args.host):
        # Alone, nothing would guard its controls and inboxes; `tpcd up --listen` puts them behind a token.
        parser.error(f"--host {args.host} is beyond loopback: use `tpcd up --listen {args.host}`, which guards it")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with serve_asgi(create_app(), name=name, host=args.host, port=args.port) as url:
        print(f"{name} simulator listening on {url}", flush=True)
        stopped.wait()
