"""Documented step 9 and after: 註冊完成 with [是]/[否], and the member home with the card services held (step 24)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal import deps
from portal.adapters.registry import ListedCardService, RegistryUnavailable
from portal.rendering import render
from portal.security import require_csrf
from portal.session import LoggedIn, require_member

router = APIRouter()

REGISTRY_DOWN = "卡證服務清單暫時無法顯示，請稍後再試。"


@router.get("/register/done")
def done(request: Request, member: LoggedIn) -> Response:
    """Step 9: continue to gold verification now ([是]) or go straight to the portal ([否])."""
    return render(request, "done.html", title="註冊完成", member=member)


@router.post("/register/done", dependencies=[Depends(require_csrf), Depends(require_member)])
def chose(continue_gold: Annotated[str, Form()] = "") -> Response:
    """[是] → 金質會員認證; [否] → the member home as 一般會員."""
    return RedirectResponse("/gold" if continue_gold == "yes" else "/member", status_code=303)


@router.get("/member")
def home(request: Request, member: LoggedIn) -> Response:
    """會員專區: 已實名 / 未實名 at the top left; for a gold member, the card services held, on the right (step 24)."""
    services: tuple[ListedCardService, ...] | None = ()
    if member.verified_level != "0":
        try:
            services = deps.outbound(request).registry.services(member.id_number)
        except RegistryUnavailable:
            services = None  # the page says the list cannot be shown now
    return render(
        request, "member.html", title="會員專區", member=member, services=services, registry_down=REGISTRY_DOWN
    )
