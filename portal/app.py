"""Build the portal twin from its settings: routes, sessions, security headers and errors in plain Chinese."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.clock import Clock
from portal.rendering import render
from portal.routes import apply, contact, gold, login, member, profile, twin
from portal.session import SessionLacks
from portal.settings import PortalSettings
from portal.store import Store

ERROR_TITLES = {400: "資料有誤", 403: "無法處理這個請求", 404: "找不到這個頁面", 405: "不支援這個操作"}
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Add the usual hardening headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _twin_token(request: Request) -> None:
    """The twin's clock, bound beyond loopback, answers only to its token (docs/design.md#the-stack-token)."""
    expected: str = request.app.state.settings.twin_token
    given = request.headers.get("authorization", "")
    if not secrets.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise HTTPException(401, "send Authorization: Bearer <PORTAL_TWIN_TOKEN>", {"WWW-Authenticate": "Bearer"})


TOOLS_HEADER = "X-Tpcd-Control"  # what the harness's clients send (simulators.control); a web page cannot
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def _tools_only(request: Request) -> None:
    """On loopback (no token), the clock answers the harness's tools, not a web page the tester has open: the tools'
    header (a cross-site page cannot send it), no foreign Origin, and a loopback Host (a DNS-rebinding page names its
    own site)."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if host.lower().rpartition(":")[0] not in LOOPBACK_HOSTS or TOOLS_HEADER.lower() not in request.headers:
        raise HTTPException(403, f"the twin's clock answers its tools only (a loopback Host and {TOOLS_HEADER})")
    if origin is not None and origin.lower() not in (f"http://{host.lower()}", f"https://{host.lower()}"):
        raise HTTPException(403, f"Origin {origin!r} is another site's")


def create_app(settings: PortalSettings) -> FastAPI:
    """The portal twin as an ASGI app; it knows the systems it calls only through `settings`."""
    app = FastAPI(title="臺北卡3.0 portal twin", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.store = Store(settings.db_path)
    app.state.clock = Clock()
    app.add_middleware(
        SessionMiddleware,  # the cookie is always HttpOnly; SameSite=Lax keeps cross-site POSTs out
        secret_key=settings.secret_key,
        session_cookie="tpcd_session",
        same_site="lax",
        https_only=settings.https_only_cookies,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for routes in (apply, contact, profile, member, gold, login):
        app.include_router(routes.router)
    if settings.twin_controls:
        guard = _twin_token if settings.twin_token else _tools_only
        app.include_router(twin.router, dependencies=[Depends(guard)])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        title = ERROR_TITLES.get(error.status_code, "發生錯誤")
        detail = error.detail if error.status_code != 404 else "網址可能有誤，請回到首頁重新開始。"
        opened = bool(request.session)
        shown = render(request, "error.html", status_code=error.status_code, title=title, message=detail)
        if not opened:
            # An error page opens no session: a form another site posts arrives without the citizen's cookie
            # (SameSite=Lax), and a new session's cookie in the answer would replace hers, her application with it.
            request.session.clear()
        shown.headers.update(error.headers or {})  # e.g. the 401's WWW-Authenticate
        return shown

    @app.exception_handler(SessionLacks)
    async def session_lacks(request: Request, lack: SessionLacks) -> Response:
        return lack.response  # a route's guard said where this browser belongs instead

    @app.exception_handler(RequestValidationError)
    async def form_error(request: Request, error: RequestValidationError) -> Response:
        return render(request, "error.html", status_code=400, title=ERROR_TITLES[400], message="送出的資料格式不正確。")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
