"""Documented step 9 and after: 註冊完成 with [是]/[否], the member home, and the start of gold verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import deps
from portal.rendering import render
from portal.security import require_csrf

router = APIRouter()


@router.get("/register/done")
def done(request: Request) -> Response:
    """Step 9: continue to gold verification now ([是]) or go straight to the portal ([否])."""
    member = deps.member(request)
    if member is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "done.html", title="註冊完成", member=member)


@router.post("/register/done", dependencies=[Depends(require_csrf)])
def chose(request: Request, continue_gold: Annotated[str, Form()] = "") -> Response:
    """[是] → 金質會員認證; [否] → the member home as 一般會員."""
    if deps.member(request) is None:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse("/gold" if continue_gold == "yes" else "/member", status_code=303)


@router.get("/member")
def home(request: Request) -> Response:
    """會員專區: the status at the top left (未實名 until verified) and what a 一般會員 can do."""
    member = deps.member(request)
    if member is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "member.html", title="會員專區", member=member)


@router.get("/gold")
def gold(request: Request) -> Response:
    """金質會員認證: the real-name verification with the citizen-certificate card starts here."""
    member = deps.member(request)
    if member is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "gold.html", title="金質會員認證", member=member)
