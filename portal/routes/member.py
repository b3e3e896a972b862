"""Documented step 9 and after: 註冊完成 with [是]/[否], the member home, and the start of gold verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import deps
from portal.rendering import render
from portal.security import require_csrf

router = APIRouter()


def _member_page(request: Request, template: str, title: str) -> Response:
    """A page only a logged-in member sees; anyone else goes back to the home page."""
    member = deps.member(request)
    if member is None:
        return RedirectResponse("/", status_code=303)
    return render(request, template, title=title, member=member)


@router.get("/register/done")
def done(request: Request) -> Response:
    """Step 9: continue to gold verification now ([是]) or go straight to the portal ([否])."""
    return _member_page(request, "done.html", "註冊完成")


@router.post("/register/done", dependencies=[Depends(require_csrf)])
def chose(request: Request, continue_gold: Annotated[str, Form()] = "") -> Response:
    """[是] → 金質會員認證; [否] → the member home as 一般會員."""
    if deps.member(request) is None:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse("/gold" if continue_gold == "yes" else "/member", status_code=303)


@router.get("/member")
def home(request: Request) -> Response:
    """會員專區: the status at the top left (未實名 until verified) and what a 一般會員 can do."""
    return _member_page(request, "member.html", "會員專區")


@router.get("/gold")
def gold(request: Request) -> Response:
    """金質會員認證: the real-name verification with the citizen-certificate card starts here."""
    return _member_page(request, "gold.html", "金質會員認證")
