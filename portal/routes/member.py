"""Documented step 9 and after: 註冊完成 with [是]/[否], the member home, and the start of gold verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import deps
from portal.rendering import render
from portal.routes import gold
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
    """會員專區: 已實名 / 未實名 at the top left; for a gold member, the card services held, on the right (step 24)."""
    member = deps.member(request)
    if member is None:
        return RedirectResponse("/", status_code=303)
    services = gold.card_services(request, member.id_number) if member.verified_level != "0" else []
    return render(request, "member.html", title="會員專區", member=member, services=services,
                  registry_down=gold.REGISTRY_DOWN)  # fmt: skip
