"""臺北卡3.0 login (documented step 24 begins at 橘色[登入臺北卡3.0網站]): account or 身分證字號, and password."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import deps
from portal.passwords import UNKNOWN_ACCOUNT_HASH, check_password
from portal.rendering import render
from portal.security import require_csrf
from portal.session import current_member, sign_in, sign_out
from portal.store import LoginLocked

router = APIRouter()

TITLE = "登入臺北卡3.0"
WRONG = "帳號或密碼錯誤。"


def _locked(lock: LoginLocked) -> str:
    """What a locked-out login reads: the same for an account that exists and one that does not."""
    minutes = max(1, math.ceil(lock.seconds / 60))
    if lock.scope == "client":
        return f"此裝置登入失敗次數過多，請於 {minutes} 分鐘後再試。"
    return f"登入失敗次數過多，此帳號已暫時鎖定，請於 {minutes} 分鐘後再試。"


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form; whoever was logged in on this browser is logged out."""
    if current_member(request) is not None:
        sign_out(request)
    return render(request, "login.html", title=TITLE)


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(request: Request, account: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    """Accept the account number or the 身分證字號 with the member's password, within the failure limits."""
    store, settings, now = deps.store(request), deps.settings(request), deps.clock(request).now()
    typed = account.strip().upper()
    member = store.member_by("account", typed) or store.member_by("id_number", typed)
    # Failures count per member (under either identifier) and, for a name nobody holds, per name typed: an unknown
    # account locks exactly like a known one, so the lockout does not tell them apart either.
    account_key = f"member:{member.id}" if member else f"typed:{typed}"
    client_key = request.client.host if request.client else "unknown"
    limits = {"account_limit": settings.login_account_limit, "client_limit": settings.login_client_limit}
    attempt = store.reserve_login(account_key, client_key, now=now, window=settings.login_window, **limits)
    if isinstance(attempt, LoginLocked):
        return render(request, "login.html", status_code=429, title=TITLE, error=_locked(attempt), account=account)
    # An unknown account costs one scrypt too, so the reply's timing does not say whether the account exists.
    right = check_password(password, member.password_hash if member else UNKNOWN_ACCOUNT_HASH)
    if member is None or not right:
        return render(request, "login.html", status_code=401, title=TITLE, error=WRONG, account=account)
    store.login_succeeded(attempt, account_key)
    sign_in(request, member)
    return RedirectResponse("/member", status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    """[登出]: the session ends on the server too, so a copy of the cookie is worth nothing afterwards."""
    sign_out(request)
    return RedirectResponse("/", status_code=303)
