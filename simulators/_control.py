"""What every HTTP simulator shares: its state class's base, its control surface (/healthz, /_control/state,
/_control/faults, /_control/reset), the header that names a browser session, and the token gate a stack bound beyond
loopback puts in front of everything but the protocol surface."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from simulators._faults import ArmedFault, FaultBook

S = TypeVar("S")
# A browser session the harness drives sends this header on every request (Playwright's extra HTTP headers), so a
# simulator the browser calls can scope a fault to one scenario on a stack several runs share
# (docs/design.md#contracts).
SESSION_HEADER = "X-Tpcd-Scenario"
ALWAYS_OPEN = ("/healthz",)  # readiness, for people and load balancers alike: says nothing but "ok"


class Simulator(ABC, Generic[S]):
    """A simulator's logic and state, testable without HTTP: its settings, its armed faults and one lock."""

    fault_enum: ClassVar[type[StrEnum]]  # the faults that may be armed on it, in its protocol's terms

    def __init__(self, settings: S) -> None:
        self.settings = settings
        self.faults = FaultBook({f.value for f in self.fault_enum})
        self.lock = threading.Lock()
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """A fresh start for the next scenario (the control surface also disarms every fault)."""

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """What `GET /_control/state` shows beside the armed faults."""


class FaultRequest(BaseModel):
    """Body of `POST /_control/faults`."""

    fault: str
    match: str | None = None
    times: int | None = 1
    seconds: float | None = None


def session_of(request: Request) -> str | None:
    """The browser session (scenario) a request came from, when the browser named it."""
    return request.headers.get(SESSION_HEADER) or None


def control_reset(faults: FaultBook, reset: Callable[[], None]) -> Callable[[], None]:
    """What `POST /_control/reset` does: every fault disarmed, then the state reset (a stack serving the simulator in
    its own process calls it directly: harness.stack)."""

    def do_reset() -> None:
        faults.clear()
        reset()

    return do_reset


def control_router(faults: FaultBook, state: Callable[[], dict[str, Any]], reset: Callable[[], None]) -> APIRouter:
    """Routes that let tests (and people) inspect, break and reset a simulator at runtime."""
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/_control/state")
    def get_state() -> dict[str, Any]:
        return {**state(), "faults": faults.state()}

    @router.get("/_control/faults")
    def armed() -> dict[str, Any]:
        return {"faults": faults.state()}

    @router.post("/_control/faults")
    def arm(request: FaultRequest) -> dict[str, Any]:
        try:
            armed_id = faults.arm(ArmedFault(request.fault, request.match, request.times, request.seconds))
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        return {"id": armed_id, "faults": faults.state()}

    @router.delete("/_control/faults")
    def disarm(ids: Annotated[list[int], Query(alias="id")]) -> dict[str, int]:
        return {"disarmed": faults.disarm(ids)}

    resetting = control_reset(faults, reset)

    @router.post("/_control/reset")
    def do_reset() -> dict[str, str]:
        resetting()
        return {"status": "reset"}

    return router


def simulator_app(title: str, simulator: Simulator[Any]) -> FastAPI:
    """An app with the control surface over `simulator` (kept as `app.state.simulator`); callers add the protocol."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None)
    app.state.simulator = simulator
    app.include_router(control_router(simulator.faults, simulator.state, simulator.reset))
    return app


class BearerGate:
    """ASGI middleware: every path but the protocol surface demands `Authorization: Bearer <token>`.

    What stays open is listed, not what is closed, so a read API or control added later is closed by default.
    `public` holds exact paths, or prefixes when they end with "/". A person's browser may give the token as the
    password of HTTP Basic (any user name), so the inbox pages stay usable by hand (RFC 7235 §4.1: two challenges).
    """

    def __init__(self, app: ASGIApp, *, token: str, public: Sequence[str]) -> None:
        if not token:
            raise ValueError("a BearerGate needs a token")
        self.app, self.token = app, token
        self.exact = {path for path in (*public, *ALWAYS_OPEN) if not path.endswith("/")}
        self.prefixes = tuple(path for path in public if path.endswith("/"))

    @property
    def state(self) -> Any:
        """The guarded app's state: what a sidecar serving the same app reads (its simulator, its CA)."""
        return self.app.state  # type: ignore[attr-defined]  # a Starlette app's; the ASGIApp type does not declare it

    def is_public(self, path: str) -> bool:
        """Whether `path` is part of the protocol surface (open as the real system is)."""
        return path in self.exact or path.startswith(self.prefixes)

    def authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """Whether the request carries the token, as Bearer or as a Basic password."""
        given = dict(headers).get(b"authorization", b"").decode("latin-1")
        scheme, _, credentials = given.partition(" ")
        if scheme.lower() == "basic":
            try:
                credentials = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                return False
        elif scheme.lower() != "bearer":
            return False
        return secrets.compare_digest(credentials.strip().encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.is_public(scope["path"]) or self.authorized(scope["headers"]):
            await self.app(scope, receive, send)
            return
        body = b'{"detail":"this stack is bound beyond loopback: send Authorization: Bearer <its token>"}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="tpcd"'),
                    (b"www-authenticate", b'Basic realm="tpcd: any user name, the stack token as password"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
