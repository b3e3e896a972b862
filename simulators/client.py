"""The client bases: one HTTP service's client, and a simulator's (its control surface: state, reset, arm)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

import requests
import requests.auth

from simulators.control import CONTROL_HEADER

T = TypeVar("T")


class SimulatorError(RuntimeError):
    """A service answered a call with an error; the message carries its reason."""


class StackAuth(requests.auth.AuthBase):
    """The stack's bearer token, or nothing: an auth of its own, so requests never puts a netrc entry's credentials
    (a staging portal's basic auth on the same host, harness/staging.py) on a call to the stack instead."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class ServiceClient:
    """HTTP client for one service; owns its URLs so steps never build one.

    `token`: the stack's bearer token, needed for every control and read call once the stack is bound beyond loopback.
    """

    def __init__(self, base_url: str, *, timeout: float = 5.0, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers[CONTROL_HEADER] = "1"  # what a web page cannot send to another site (simulators.control)
        self.http.auth = StackAuth(token)

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
    """Client of a simulator's control surface (docs/contributing.md#simulators); each simulator's client adds its typed
    readers.

    `target`: what this client's faults apply to when `arm` is given no `match` (the scenario's mobile, mail address,
    ID number or browser session). `shared`: the simulator serves other runs too, so a fault for every target is
    refused and `reset` is never sent (docs/design.md#contracts: nothing wipes a shared stack).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        token: str | None = None,
        target: str | None = None,
        shared: bool = False,
    ) -> None:
        super().__init__(base_url, timeout=timeout, token=token)
        self.target, self.shared = target, shared
        self.armed: list[int] = []  # ids of the faults this client armed, for `disarm_armed`

    def state(self) -> dict[str, Any]:
        """The control surface's state document, armed faults included: evidence for a report, kept as JSON."""
        state: dict[str, Any] = self._call("GET", "/_control/state")
        return state

    def faults(self) -> list[dict[str, Any]]:
        """What is armed now (every run's, on a shared stack), with ids and uses left."""
        faults: list[dict[str, Any]] = self._call("GET", "/_control/faults")["faults"]
        return faults

    def reset(self) -> None:
        """Forget every message and fault: a fresh simulator for the next scenario."""
        if self.shared:
            raise SimulatorError(f"{self.base_url} is shared with other runs: it is never reset as a whole")
        self._call("POST", "/_control/reset")

    def arm(self, fault: str, *, match: str | None = None, times: int | None = 1, seconds: float | None = None) -> int:
        """Arm `fault` (a member of the simulator's fault enum) for `match` (default: this client's target), `times`
        uses (None: until disarmed); returns its id."""
        match = match if match is not None else self.target
        if match is None and self.shared:
            raise SimulatorError(
                f"{fault} would hit every run sharing {self.base_url}: arm it for one target (match=…)"
            )
        answer = self._call(
            "POST", "/_control/faults", json={"fault": str(fault), "match": match, "times": times, "seconds": seconds}
        )
        armed_id = int(answer["id"])
        self.armed.append(armed_id)
        return armed_id

    def disarm(self, *ids: int) -> None:
        """Disarm the faults with these ids (used-up ones are already gone)."""
        if ids:
            self._call("DELETE", "/_control/faults", params={"id": list(ids)})
        self.armed = [armed for armed in self.armed if armed not in ids]

    def disarm_armed(self) -> None:
        """Disarm every fault this client armed: a scenario's teardown on a stack other runs share."""
        self.disarm(*self.armed)


class HoldingClient(SimulatorClient):
    """Client of a simulator with a HELD fault (simulators.faults.Holds): its answers wait for the harness."""

    HELD = "answer"  # what the simulator holds, for the error when none is

    def wait_held(self, timeout: float = 30.0) -> None:
        """Wait until an answer is HELD for this client's target (any target's, untargeted)."""

        def held() -> bool | None:
            keys: dict[str, int] = self.state()["held"]
            return True if (keys.get(str(self.target)) if self.target else keys) else None

        wait_until(held, timeout=timeout, what=f"no {self.HELD} was held")

    def release(self) -> int:
        """Let the HELD answers of this client's target go (every target's, untargeted); how many there were."""
        scope = {"match": self.target} if self.target else {}
        released: int = self._call("POST", "/_control/release", data=scope)["released"]
        return released


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
