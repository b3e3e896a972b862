"""Run an ASGI app on 127.0.0.1 port 0 in a thread: wait for uvicorn's own readiness, stop in `finally`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


class ServiceStartError(RuntimeError):
    """A service did not come up; the message says which and what to do."""


@contextmanager
def serve_asgi(app: Any, *, name: str, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0) -> Iterator[str]:
    """Serve `app` on an OS-assigned port (unless `port` is given) and yield its base URL."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,  # a request hanging on purpose (a HANG fault) must not hold up the stop
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run()
        except BaseException as error:  # uvicorn calls sys.exit(1) when it cannot bind: keep it in this thread
            failure.append(error)

    thread = threading.Thread(target=run, name=f"serve-{name}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        # uvicorn sets `started` once its sockets listen: the server's own readiness signal, polled with a deadline.
        while not server.started:
            if not thread.is_alive():
                reason = f" ({failure[0]!r})" if failure else ""
                raise ServiceStartError(
                    f"{name} stopped while starting{reason}: is {host}:{port} free? See its log above"
                )
            if time.monotonic() > deadline:
                raise ServiceStartError(f"{name} did not start within {timeout}s; see its log above")
            time.sleep(0.005)
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout)
