"""Run an ASGI app on 127.0.0.1 port 0 in a thread: wait for uvicorn's own readiness, stop in `finally`.

A stack a deployment is configured with binds elsewhere and pins its ports; its URLs then carry the advertised host
(the name the deployment reaches it by), not the bind address.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from simulators.tls import CertificateFiles


class ServiceStartError(RuntimeError):
    """A service did not come up; the message says which and what to do."""


class AddressRefused(ServiceStartError):
    """A service could not listen where it was told (a busy port, an address not of this machine)."""

    def __init__(self, service: str, host: str, port: int, error: OSError) -> None:
        super().__init__(f"{service} cannot listen on {host}:{port}: {error.strerror or error}")
        self.service, self.host, self.port, self.errno = service, host, port, error.errno


def _bound_socket(name: str, host: str, port: int) -> socket.socket:
    """A socket bound to host:port, as uvicorn binds one (SO_REUSEADDR), or AddressRefused saying why not: a
    busy port is then one line of ours, not uvicorn's logged error and sys.exit in its thread."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise AddressRefused(name, host, port, error) from None
    return listener


class RunningServer:
    """One uvicorn server in its thread; stopping is two halves so that many servers can stop at once."""

    def __init__(
        self,
        app: Any,
        *,
        name: str,
        host: str,
        port: int,
        timeout: float,
        tls: CertificateFiles | None = None,
        advertise: str | None = None,
    ) -> None:
        self.name, self.timeout, self.tls = name, timeout, tls
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,  # a request hanging on purpose (a HANG fault) must not hold up the stop
            ssl_certfile=tls.cert if tls else None,
            ssl_keyfile=tls.key if tls else None,
        )
        self.server = uvicorn.Server(config)
        self.failure: list[BaseException] = []
        self.listener = _bound_socket(name, host, port)
        self.thread = threading.Thread(target=self._run, name=f"serve-{name}", daemon=True)
        self.thread.start()
        try:
            deadline = time.monotonic() + timeout
            # uvicorn sets `started` once its sockets listen: the server's own readiness signal, polled with a deadline.
            while not self.server.started:
                if not self.thread.is_alive():
                    reason = f" ({self.failure[0]!r})" if self.failure else ""
                    raise ServiceStartError(
                        f"{name} stopped while starting{reason}: is {host}:{port} free? See its log above"
                    )
                if time.monotonic() > deadline:
                    raise ServiceStartError(f"{name} did not start within {timeout}s; see its log above")
                time.sleep(0.005)
        except BaseException:
            self.stop()
            raise
        bound = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://{advertise or host}:{bound}"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.listener])
        except BaseException as error:  # uvicorn calls sys.exit(1) when it cannot bind: keep it in this thread
            self.failure.append(error)

    def signal_stop(self) -> None:
        """Ask the server to stop (returns at once). Over TLS, idle keep-alive connections are dropped first: closing
        one waits for the client's close_notify, which an idle client never sends (asyncio waits up to its 30 s
        ssl_shutdown_timeout, far beyond the graceful timeout, and the transports leak)."""
        if self.tls is not None and self.server.started:
            self.server.servers[0].get_loop().call_soon_threadsafe(self._drop_idle_connections)
        self.server.should_exit = True

    def _drop_idle_connections(self) -> None:
        """On the server's loop: abort each connection between requests (uvicorn's protocols keep the request in
        progress as `cycle`); a request in flight still gets its answer."""
        for connection in list(self.server.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            if cycle is None or cycle.response_complete:
                connection.transport.abort()

    def join(self) -> None:
        """Wait for the server to have stopped (its socket closed, also when it never started)."""
        self.thread.join(self.timeout)
        self.listener.close()

    def stop(self) -> None:
        """Both halves."""
        self.signal_stop()
        self.join()

    def kill(self) -> None:
        """Die as a killed process does: the port closes and open connections drop unanswered (returns at once)."""
        self.server.servers[0].get_loop().call_soon_threadsafe(self._drop_connections)
        self.signal_stop()

    def _drop_connections(self) -> None:
        """On the server's loop: stop listening, then abort every connection, a request in flight or not."""
        for listener in self.server.servers:
            listener.close()
        for connection in list(self.server.server_state.connections):
            connection.transport.abort()


def stop_together(servers: list[RunningServer]) -> None:
    """Stop many servers in about the time of one: signal all, then wait for all."""
    for server in servers:
        server.signal_stop()
    for server in servers:
        server.join()


@contextmanager
def serve_asgi(
    app: Any,
    *,
    name: str,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float = 10.0,
    tls: CertificateFiles | None = None,
    advertise: str | None = None,
) -> Iterator[str]:
    """Serve `app` on an OS-assigned port (unless `port` is given), over HTTPS with `tls`, and yield its base URL (with
    the `advertise`d host, when given)."""
    running = RunningServer(app, name=name, host=host, port=port, timeout=timeout, tls=tls, advertise=advertise)
    try:
        yield running.url
    finally:
        running.stop()
