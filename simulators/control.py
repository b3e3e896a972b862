"""What every HTTP simulator shares: its state class's base, its control surface (/healthz, /_control/state,
/_control/faults, /_control/reset), the header that names a browser session, the token gate a stack bound beyond
loopback puts in front of everything but the protocol surface, and the same-site gate that keeps web pages off the
control surface on loopback too."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from simulators.faults import ArmedFault, FaultBook

S = TypeVar("S")
# A browser session the harness drives sends this header on every request (Playwright's extra HTTP headers), so a
# simulator the browser calls can scope a fault to one scenario on a stack several runs share
# (docs/design.md#contracts).
SESSION_HEADER = "X-Tpcd-Scenario"
ALWAYS_OPEN = ("/healthz",)  # readiness, for people and load balancers alike: says nothing but "ok"
# Every client of a control surface sends this header (simulators.client): a web page cannot send it to another
# site without a CORS preflight, which no control surface grants, so a page the tester opens cannot block the card's
# PIN or arm a fault on loopback (where no token guards it).
CONTROL_HEADER = "X-Tpcd-Control"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})  # the names a Host header gives loopback by
AUTHORIZED = "tpcd.authorized"  # set in the ASGI scope by a token gate that checked the request's token
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.simulator = simulator
    app.include_router(control_router(simulator.faults, simulator.state, simulator.reset))
    app.add_middleware(SameSiteGate)
    return app


class SameSiteGate:
    """ASGI middleware: a control surface answers only its own tools, not a web page the tester has open.

    On the paths under `host_checked`, a request without a checked token must name the service by a loopback name
    and its own port in Host (a DNS-rebinding page names its own site); on `/_control/`, an Origin must be the
    service's own, and a request that changes something must carry CONTROL_HEADER (a cross-site page cannot)."""

    def __init__(self, app: ASGIApp, *, host_checked: tuple[str, ...] = ("/_control/",)) -> None:
        self.app, self.host_checked = app, host_checked

    @property
    def state(self) -> Any:
        """The guarded app's state (as BearerGate's)."""
        return self.app.state  # type: ignore[attr-defined]

    def refusal(self, scope: Scope) -> str | None:
        """Why the request is refused, or None."""
        path: str = scope["path"]
        if scope.get(AUTHORIZED) or not path.startswith((*self.host_checked, "/_control/")):
            return None
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "")
        name, _, port = host.lower().rpartition(":") if not host.endswith("]") else (host.lower(), "", "")
        server = scope.get("server")
        own_port = str(server[1]) if server else port
        if path.startswith(self.host_checked) and (name not in LOOPBACK_HOSTS or port != own_port):
            return f"Host {host!r} is not this service's loopback address"
        if not path.startswith("/_control/"):
            return None
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in (f"http://{host.lower()}", f"https://{host.lower()}"):
            return f"Origin {origin!r} is another site's: a control surface answers its own tools only"
        if scope.get("method", "GET") not in SAFE_METHODS and CONTROL_HEADER.lower() not in headers:
            return f"a control request needs the {CONTROL_HEADER} header (its clients send it; a web page cannot)"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        why = self.refusal(scope) if scope["type"] == "http" else None
        if why is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": why}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})


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
        if scope["type"] == "http" and not self.is_public(scope["path"]) and self.authorized(scope["headers"]):
            await self.app({**scope, AUTHORIZED: True}, receive, send)  # the token holder's tools, from anywhere
            return
        if scope["type"] != "http" or self.is_public(scope["path"]):
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
