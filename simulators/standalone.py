"""Run one simulator alone (`python -m simulators.<name>`): print its URL, serve until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import ipaddress
import re
import signal
import threading
from collections.abc import Callable
from typing import Any

from simulators.serving import serve_asgi


def is_loopback(host: str) -> bool:
    """Whether `host` (an address, or the name localhost) only reaches this machine: binding it exposes nothing."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")


def valid_host(host: str) -> bool:
    """Whether `host` is an IP address or a DNS name of letters, digits, hyphens (and underscores) between dots: a
    space, a slash or an `@` in it never reaches a socket or a URL handed out."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return 0 < len(host) <= 253 and _HOST.fullmatch(host.removesuffix(".")) is not None


def refuse_beyond_loopback(parser: argparse.ArgumentParser, host: str, why: str) -> None:
    """Stop with a usage error when `--host` is not loopback: alone, nothing would guard a simulator's controls and
    inboxes (`tpcd up --listen` puts them behind a token); `why` says what else to do."""
    if not is_loopback(host):
        parser.error(f"--host {host} is beyond loopback: {why}")


def run_alone(name: str, create_app: Callable[[], Any], default_port: int = 0) -> None:
    """Serve `create_app()` on 127.0.0.1 until interrupted."""
    parser = argparse.ArgumentParser(prog=f"python -m simulators.{name}")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (a stack beyond it: tpcd up --listen)")
    parser.add_argument("--port", type=int, default=default_port, help="0 lets the OS choose")
    args = parser.parse_args()
    refuse_beyond_loopback(parser, args.host, f"use `tpcd up --listen {args.host}`, which guards it")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with serve_asgi(create_app(), name=name, host=args.host, port=args.port) as url:
        print(f"{name} simulator listening on {url}", flush=True)
        stopped.wait()
