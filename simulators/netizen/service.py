"""網路市民 (citizen.taipei) legacy account as a standard OAuth 2.0 provider (docs/protocols/netizen-oauth.md: the real
API is not
public, so this is our design; it keeps to RFC 6749 and RFC 6750 so that any OAuth2 client library works with it).

- `GET /oauth/authorize?response_type=code&client_id&redirect_uri&state[&scope=profile][&code_challenge…]`: the
  網路市民 login page (帳號, 密碼, [登入]), then a consent page ([同意授權] / [取消]); consent redirects to
  `redirect_uri` with `code` and `state` added to its own query, cancel with `error=access_denied`. An unknown client
  or a redirect URI not registered exactly is refused on the page, never redirected (RFC 6749 §4.1.2.1).
- `POST /oauth/token` (form: grant_type=authorization_code, code, redirect_uri as sent to /oauth/authorize,
  code_verifier with PKCE), the client authenticated by HTTP Basic (client_secret_basic) or client_id and
  client_secret in the form (client_secret_post) → `{"access_token", "token_type": "bearer", "expires_in"[, "scope"]}`
  with `Cache-Control: no-store`; errors as RFC 6749 §5.2 (`invalid_client` is 401 with `WWW-Authenticate`).
- `GET /api/v1/profile` with `Authorization: Bearer …` (or `?access_token=`, RFC 6750 §2.3) → `{"account", "name",
  "id_number"?, "email", "mobile", "address"}` (our field names; `id_number` may be absent, as the real sign-up form
  left it optional); a missing, bad or expired token is 401 with `WWW-Authenticate: Bearer …` (RFC 6750 §3).
The control surface adds accounts (`POST /_control/accounts`) and registered redirect URIs
(`POST /_control/redirect_uris`; they survive `/_control/reset`, as a client's registration would).
"""

from __future__ import annotations

import html
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from simulators.control import simulator_app
from simulators.netizen.faults import NetizenFault
from simulators.netizen.models import NetizenAccount, RedirectUriRegistration
from simulators.netizen.oauth import (
    REALM,
    Netizen,
    NetizenSettings,
    OAuthError,
    OAuthErrorCode,
    RedirectedError,
    RedirectRefused,
    TokenRequest,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1: tokens are never cached


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='zh-Hant-TW'><meta charset='utf-8'><title>{title}｜網路市民</title>"
        f"<body style='font-family:sans-serif;max-width:32rem;margin:2rem auto'><p>臺北市網路市民服務中心（模擬）</p>"
        f"<h1>{title}</h1>{body}</body></html>",
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


def _refused(message: str, status_code: int = 400) -> HTMLResponse:
    return _page("無法授權", f"<p role='alert'>{html.escape(message)}</p>", status_code)


def _hidden(**fields: str) -> str:
    return "".join(f"<input type='hidden' name='{k}' value='{html.escape(v, quote=True)}'>" for k, v in fields.items())


def _login_form(request_id: str, error: str = "") -> HTMLResponse:
    alert = f"<p role='alert' style='color:#b00'>{error}</p>" if error else ""
    return _page(
        "網路市民登入",
        f"{alert}<form method='post' action='/oauth/authorize'>{_hidden(request=request_id)}"
        "<p><label>帳號 <input name='account' autocomplete='username'></label></p>"
        "<p><label>密碼 <input name='password' type='password' autocomplete='current-password'></label></p>"
        "<button type='submit'>登入</button></form>",
    )


def _token_error(error: OAuthError) -> JSONResponse:
    """RFC 6749 §5.2: 400, or 401 with a challenge for invalid_client (RFC 7235 §3.1: every 401 carries one)."""
    body = {"error": error.code.value, "error_description": error.description}
    if error.code is OAuthErrorCode.INVALID_CLIENT:
        return JSONResponse(body, 401, headers={**NO_STORE, "WWW-Authenticate": f'Basic realm="{REALM}"'})
    return JSONResponse(body, 400, headers=NO_STORE)


def _bearer_challenge(error: OAuthError | None) -> Response:
    """RFC 6750 §3: no error code when no token came, else the code; invalid_request is 400, invalid_token 401."""
    challenge = f'Bearer realm="{REALM}"'
    if error is None:
        return Response(status_code=401, headers={"WWW-Authenticate": challenge})
    challenge += f', error="{error.code.value}", error_description="{error.description}"'
    status = 400 if error.code is OAuthErrorCode.INVALID_REQUEST else 401
    body = {"error": error.code.value, "error_description": error.description}
    return JSONResponse(body, status, headers={"WWW-Authenticate": challenge})


def create_app(settings: NetizenSettings | None = None) -> FastAPI:
    """The 網路市民 simulator as an ASGI app."""
    netizen = Netizen(settings or NetizenSettings())
    app = simulator_app("網路市民 simulator", netizen)

    @app.middleware("http")
    async def unavailable(request: Request, call_next: Any) -> Response:
        if not request.url.path.startswith(("/_control", "/healthz")) and netizen.faults.take(
            among={NetizenFault.UNAVAILABLE.value}
        ):
            return Response("網路市民服務暫停中", status_code=503)
        response: Response = await call_next(request)
        return response

    @app.post("/_control/accounts")
    def add_account(account: NetizenAccount) -> dict[str, str]:
        netizen.add_account(account)
        return {"account": account.account}

    @app.post("/_control/redirect_uris")
    def register(registration: RedirectUriRegistration) -> dict[str, list[str]]:
        try:
            netizen.register_redirect_uri(registration.redirect_uri)
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        return {"redirect_uris": list(netizen.redirect_uris)}

    @app.get("/oauth/authorize", response_class=HTMLResponse)
    def authorize(request: Request) -> Response:
        try:
            request_id, _ = netizen.authorize(request.query_params.multi_items())
        except RedirectRefused as refused:
            return _refused(refused.message)
        except RedirectedError as error:
            return RedirectResponse(error.location, status_code=302)
        return _login_form(request_id)

    @app.post("/oauth/authorize", response_class=HTMLResponse)
    def login(
        request: Annotated[str, Form()] = "",
        account: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        if netizen.pending(request) is None:
            return _refused("授權請求已逾時，請回到原網站重新開始。")
        ticket = netizen.log_in(request, account, password)
        if ticket is None:
            return _login_form(request, "帳號或密碼錯誤")
        return _page(
            "授權網站讀取您的資料",
            "<p>臺北卡3.0 網站要求讀取您的網路市民資料（姓名、身分證字號、電子郵件、手機、地址）。</p>"
            f"<form method='post' action='/oauth/consent'>{_hidden(ticket=ticket)}"
            "<button name='decision' value='allow'>同意授權</button> "
            "<button name='decision' value='deny'>取消</button></form>",
        )

    @app.post("/oauth/consent")
    def consent(ticket: Annotated[str, Form()] = "", decision: Annotated[str, Form()] = "") -> Response:
        location = netizen.decide(ticket, allow=decision == "allow")
        if location is None:
            return _refused("授權請求已逾時，請回到原網站重新開始。")
        return RedirectResponse(location, status_code=303)

    @app.post("/oauth/token")
    async def token(request: Request) -> JSONResponse:
        try:
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
                raise OAuthError(OAuthErrorCode.INVALID_REQUEST, "the body must be application/x-www-form-urlencoded")
            body = (await request.body()).decode("utf-8", errors="replace")
            form = TokenRequest.parse(parse_qsl(body, keep_blank_values=True))
            client_id = netizen.authenticate(request.headers.get("authorization", ""), form)
            answer = netizen.exchange(client_id, form)
        except OAuthError as error:
            return _token_error(error)
        return JSONResponse(answer, headers=NO_STORE)

    @app.get("/api/v1/profile")
    def profile(request: Request) -> Response:
        try:
            shown = netizen.profile(request.headers.get("authorization", ""), request.query_params.get("access_token"))
        except OAuthError as error:
            return _bearer_challenge(error)
        if shown is None:
            return _bearer_challenge(None)
        private = {"Cache-Control": "private"} if "access_token" in request.query_params else {}  # RFC 6750 §2.3
        return JSONResponse(shown, headers=private)

    return app
