"""臺北卡3.0 login (documented step 24 begins at 橘色[登入臺北卡3.0網站]): account or 身分證字號, and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import deps
from portal.passwords import check_password
from portal.rendering import render
from portal.security import require_csrf
from portal.session import sign_in, sign_out

router = APIRouter()

TITLE = "登入臺北卡3.0"


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form; whoever was logged in on this browser is logged out."""
    sign_out(request)
    return render(request, "login.html", title=TITLE)


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(request: Request, account: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    """Accept the account number or the 身分證字號 with the member's password."""
    store = deps.store(request)
    typed = account.strip().upper()
    member = store.member_by("account", typed) or store.member_by("id_number", typed)
    if member is None or not check_password(password, member.password_hash):
        return render(request, "login.html", status_code=401, title=TITLE, error="帳號或密碼錯誤。", account=account)
    sign_in(request, member)
    return RedirectResponse("/member", status_code=303)
