"""The client bases: one HTTP service's client, and a simulator's (its control surface: state, reset, arm)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

import requests

T = TypeVar("T")


class SimulatorError(RuntimeError):
    """A service answered a call with an error; the message carries its reason."""


class ServiceClient:
    """HTTP client for one service; owns its URLs so steps never build one."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            raise SimulatorError(f"{method} {path} → {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None


class SimulatorClient(ServiceClient):
    """Client of a simulator's control surface (STYLE.md §6); each simulator's client adds its typed readers."""

    def state(self) -> dict[str, Any]:
        """The control surface's state document, armed faults included: evidence for a report, kept as JSON."""
        state: dict[str, Any] = self._call("GET", "/_control/state")
        return state

    def reset(self) -> None:
        """Forget every message and fault: a fresh simulator for the next scenario."""
        self._call("POST", "/_control/reset")

    def arm(self, fault: str, *, match: str | None = None, times: int | None = 1, seconds: float | None = None) -> None:
        """Arm `fault` (a member of the simulator's fault enum) for `match`, `times` uses (None: until reset)."""
        self._call(
            "POST", "/_control/faults", json={"fault": str(fault), "match": match, "times": times, "seconds": seconds}
        )


def wait_until(probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.05) -> T:
    """Call `probe` until it returns a value or `timeout` passes; the error says what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} within {timeout}s")
        time.sleep(interval)
