"""`python -m portal [--config FILE] [--listen ADDR] [--port N]`: the twin deployed as the real portal is.

Configured only from PORTAL_* environment variables and, optionally, the dotenv or JSON file that
`tpcd up --portal-config` writes (portal/config.py); it imports nothing of the harness. One line on stdout once it
listens (`portal twin listening on http://ADDR:PORT`); SIGTERM or Ctrl-C stops it and closes its database.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from portal.app import create_app
from portal.config import PortalConfigError, load


class _AnnouncingServer(uvicorn.Server):
    """uvicorn, printing the bound URL once its sockets listen: the readiness signal a supervisor waits for."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            print(f"portal twin listening on http://{shown}:{port}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Load the configuration, serve until SIGTERM/Ctrl-C; 2 with one line naming the key when it is unusable."""
    parser = argparse.ArgumentParser(prog="python -m portal", description="the 臺北卡3.0 portal twin, deployed")
    parser.add_argument("--config", type=Path, help="a dotenv or .json file of PORTAL_* keys (the environment wins)")
    parser.add_argument("--listen", help="address to bind (PORTAL_LISTEN; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (PORTAL_PORT; default 0: any free port)")
    args = parser.parse_args(argv)
    try:
        deployment = load(file=args.config, listen=args.listen)  # the clock's guard judges the address it binds
    except PortalConfigError as error:
        print(f"python -m portal: {error}", file=sys.stderr)
        return 2
    listen = deployment.listen
    port = deployment.port if args.port is None else args.port
    app = create_app(deployment.settings)
    server = _AnnouncingServer(uvicorn.Config(app, host=listen, port=port, log_level="warning", lifespan="off"))
    # uvicorn turns SIGTERM and SIGINT into a graceful stop, then raises the signal again for the handler it found:
    # let that be a no-op, so the database is closed below and the exit code says the stop was clean.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda signum, frame: None)
    try:
        server.run()
    finally:
        app.state.store.close()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
