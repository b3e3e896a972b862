"""Documented steps 1–3: the home page, the choice of membership, and consent to the personal-data terms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal import deps
from portal.rendering import render
from portal.security import require_csrf
from portal.session import begin_application, current_member

router = APIRouter()

TIERS = {"general": "一般會員", "gold": "金質會員"}
CONSENT_REQUIRED = "請先詳閱個人資料使用相關內容並勾選同意，才能進行下一步。"
TIER_REQUIRED = "請先選擇要註冊的會員類型。"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Step 1: the Taipei Card home with the 桃紅色 [申請臺北卡], [登入], and for a member logged in 會員專區."""
    return render(request, "home.html", title="臺北卡3.0", member=current_member(request))


@router.get("/apply", response_class=HTMLResponse)
def choose_tier(request: Request) -> Response:
    """Step 2: [一般會員註冊] or [金質會員註冊]."""
    return render(request, "apply.html", title="選擇會員類型", tiers=TIERS)


@router.post("/apply", dependencies=[Depends(require_csrf)])
def chose_tier(request: Request, tier: Annotated[str, Form()] = "") -> Response:
    """Remember the tier in the session and go on to the terms."""
    if tier not in TIERS:
        return render(request, "apply.html", status_code=400, title="選擇會員類型", tiers=TIERS, error=TIER_REQUIRED)
    request.session["tier"] = tier
    return RedirectResponse("/register", status_code=303)


@router.get("/register", response_class=HTMLResponse)
def terms(request: Request) -> Response:
    """Step 3: 會員註冊, the personal-data terms and the tick box; [下一步] stays disabled until ticked."""
    tier = request.session.get("tier")
    if tier not in TIERS:
        return RedirectResponse("/apply", status_code=303)
    return render(request, "register.html", title="會員註冊", tier_label=TIERS[tier])


@router.post("/register", dependencies=[Depends(require_csrf)])
def consent(request: Request, consent: Annotated[str, Form()] = "") -> Response:
    """Refuse without consent (the page's disabled button is not the only guard); else open the application."""
    tier = request.session.get("tier")
    if tier not in TIERS:
        return render(request, "apply.html", status_code=400, title="選擇會員類型", tiers=TIERS, error=TIER_REQUIRED)
    if consent != "yes":
        return render(
            request, "register.html", status_code=400, title="會員註冊", tier_label=TIERS[tier], error=CONSENT_REQUIRED
        )
    application = deps.store(request).open_application(tier)
    begin_application(request, application)
    return RedirectResponse("/register/contact", status_code=303)
