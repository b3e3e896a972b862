"""網路市民 (citizen.taipei) legacy account, OAuth2-style (PROTOCOLS.md §11; no public specification exists).

Our own API, documented here because the real one is not public:
- `GET /oauth/authorize?response_type=code&client_id&redirect_uri&state`: the 網路市民 login page (帳號, 密碼, [登入]),
  then a consent page ([同意授權] / [取消]); consent redirects to `redirect_uri?code=…&state=…`, cancel to
  `redirect_uri?error=access_denied&state=…`.
- `POST /oauth/token` (form: grant_type=authorization_code, code, client_id, client_secret) →
  `{"access_token", "token_type": "bearer", "expires_in"}`; a used or unknown code → 400 `{"error": "invalid_grant"}`.
- `GET /api/v1/profile` with `Authorization: Bearer …` → `{"account", "name", "id_number"?, "email", "mobile",
  "address"}`; `id_number` may be absent, as the real sign-up form left it optional.
Accounts are added through the control surface (`POST /_control/accounts`).
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from simulators._control import Simulator, simulator_app
from simulators.netizen.faults import NetizenFault
from simulators.netizen.models import NetizenAccount


@dataclass(frozen=True, slots=True)
class NetizenSettings:
    """The client the portal is registered as."""

    client_id: str = "tpcd-portal"
    client_secret: str = "tpcd-netizen-secret"


@dataclass(frozen=True, slots=True)
class Grant:
    account: str
    client_id: str
    redirect_uri: str


class Netizen(Simulator[NetizenSettings]):
    """Accounts, issued codes and tokens."""

    fault_enum = NetizenFault

    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[str, NetizenAccount] = {}
            self.codes: dict[str, Grant] = {}
            self.tokens: dict[str, str] = {}
            self.logins = 0

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"accounts": sorted(self.accounts), "logins": self.logins, "tokens": len(self.tokens)}

    def add_account(self, account: NetizenAccount) -> None:
        """Create (or replace) a legacy account."""
        with self.lock:
            self.accounts[account.account] = account

    def log_in(self, grant: Grant, password: str) -> str | None:
        """An authorization code for `grant` when the password is right (and no fault refuses it)."""
        with self.lock:
            self.logins += 1
            known = self.accounts.get(grant.account)
        refused = self.faults.take(grant.account, among={NetizenFault.WRONG_PASSWORD.value})
        if known is None or known.password != password or refused:
            return None
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = grant
        return code

    def decide(self, code: str, *, allow: bool) -> Grant | None:
        """The grant behind `code`, which a refusal voids; None for an unknown code."""
        with self.lock:
            if allow:
                return self.codes.get(code)
            return self.codes.pop(code, None)

    def exchange(self, code: str) -> str | None:
        """An access token for a code, used up by the exchange; None for a used or unknown code."""
        with self.lock:
            grant = self.codes.pop(code, None)
            if grant is None:
                return None
            access = secrets.token_urlsafe(24)
            self.tokens[access] = grant.account
        return access

    def profile(self, access_token: str) -> dict[str, Any] | None:
        """What the token's account shares, as the profile endpoint answers; None for an unknown token."""
        with self.lock:
            account = self.accounts.get(self.tokens.get(access_token, ""))
        if account is None:
            return None
        if account.id_number is None:
            return account.profile()
        hidden = self.faults.take(account.account, among={NetizenFault.NO_ID_NUMBER.value})
        return account.profile(with_id_number=hidden is None)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='zh-Hant-TW'><meta charset='utf-8'><title>{title}｜網路市民</title>"
        f"<body style='font-family:sans-serif;max-width:32rem;margin:2rem auto'><p>臺北市網路市民服務中心（模擬）</p>"
        f"<h1>{title}</h1>{body}</body></html>"
    )


def _hidden(**fields: str) -> str:
    return "".join(f"<input type='hidden' name='{k}' value='{html.escape(v, quote=True)}'>" for k, v in fields.items())


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

    def login_form(client_id: str, redirect_uri: str, state: str, error: str = "") -> HTMLResponse:
        alert = f"<p role='alert' style='color:#b00'>{error}</p>" if error else ""
        return _page(
            "網路市民登入",
            f"{alert}<form method='post' action='/oauth/authorize'>"
            f"{_hidden(client_id=client_id, redirect_uri=redirect_uri, state=state)}"
            "<p><label>帳號 <input name='account' autocomplete='username'></label></p>"
            "<p><label>密碼 <input name='password' type='password' autocomplete='current-password'></label></p>"
            "<button type='submit'>登入</button></form>",
        )

    @app.get("/oauth/authorize", response_class=HTMLResponse)
    def authorize(client_id: str, redirect_uri: str, state: str = "", response_type: str = "code") -> HTMLResponse:
        if client_id != netizen.settings.client_id or response_type != "code":
            return _page("無法授權", "<p role='alert'>申請授權的網站未註冊。</p>")
        return login_form(client_id, redirect_uri, state)

    @app.post("/oauth/authorize", response_class=HTMLResponse)
    def login(
        client_id: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        account: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        state: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        code = netizen.log_in(Grant(account, client_id, redirect_uri), password)
        if code is None:
            return login_form(client_id, redirect_uri, state, "帳號或密碼錯誤")
        return _page(
            "授權網站讀取您的資料",
            f"<p>臺北卡3.0 網站要求讀取您的網路市民資料（姓名、身分證字號、電子郵件、手機、地址）。</p>"
            f"<form method='post' action='/oauth/consent'>{_hidden(code=code, state=state)}"
            "<button name='decision' value='allow'>同意授權</button> "
            "<button name='decision' value='deny'>取消</button></form>",
        )

    @app.post("/oauth/consent")
    def consent(
        code: Annotated[str, Form()], decision: Annotated[str, Form()], state: Annotated[str, Form()] = ""
    ) -> RedirectResponse:
        grant = netizen.decide(code, allow=decision == "allow")
        if grant is None:
            raise HTTPException(status_code=400, detail="授權碼無效")
        query = {"code": code, "state": state} if decision == "allow" else {"error": "access_denied", "state": state}
        return RedirectResponse(f"{grant.redirect_uri}?{urlencode(query)}", status_code=303)

    @app.post("/oauth/token")
    def token(
        code: Annotated[str, Form()] = "",
        client_id: Annotated[str, Form()] = "",
        client_secret: Annotated[str, Form()] = "",
        grant_type: Annotated[str, Form()] = "",
    ) -> JSONResponse:
        if (client_id, client_secret) != (netizen.settings.client_id, netizen.settings.client_secret):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if grant_type != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        access = netizen.exchange(code)
        if access is None:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": f"Invalid authorization code: {code}"}, 400
            )
        return JSONResponse({"access_token": access, "token_type": "bearer", "expires_in": 3600})

    @app.get("/api/v1/profile")
    def profile(authorization: Annotated[str, Header()] = "") -> dict[str, Any]:
        shown = netizen.profile(authorization.removeprefix("Bearer ").strip())
        if shown is None:
            raise HTTPException(status_code=401, detail="invalid_token")
        return shown

    return app
