"""Documented steps 7–8: basic data (typed, or pulled from a 網路市民 account), then the password and [註冊]."""

from __future__ import annotations

import json
import secrets
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from portal import deps
from portal.adapters.netizen import NetizenUnavailable
from portal.basic_data import check_profile as check_profile  # also exported: the rules as the form applies them
from portal.passwords import RULES, hash_password, unmet
from portal.rendering import render
from portal.security import require_csrf
from portal.session import ContactVerified, ProfileFilled, end_application, sign_in
from portal.store import Application

router = APIRouter()

# An application told of too many members' ID numbers could be probing them: it must start over.
ID_PROBES_EXCEEDED = "此申請已輸入過多組已註冊的身分證字號，請重新申請。"
NETIZEN_DOWN = "網路市民服務目前無法使用，請稍後再試，或直接填寫基本資料。"


def _profile_page(
    request: Request,
    application: Application,
    *,
    status_code: int = 200,
    errors: list[str] | None = None,
    notice: str = "",
) -> Response:
    draft = {**_saved(application), **json.loads(application.netizen_prefill or "{}")}
    return render(
        request,
        "profile.html",
        status_code=status_code,
        title="基本資料",
        errors=errors or [],
        notice=notice,
        draft=draft,
        application=application,
    )


def _saved(application: Application) -> dict[str, str]:
    keys = ("name", "id_number", "birth_date", "sex", "address")
    return {key: getattr(application, key) or "" for key in keys}


@router.get("/register/profile")
def profile(request: Request, application: ContactVerified) -> Response:
    """Step 7."""
    notice = request.session.pop("netizen_notice", "")
    return _profile_page(request, application, notice=notice)


class ProfileForm(BaseModel):
    """The basic-data form as posted by [下一步] and by [取回網路市民資料] alike."""

    name: str = ""
    id_number: str = ""
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    csrf_token: str = ""


def _save_draft(request: Request, application: Application, form: ProfileForm) -> Application:
    """Keep what was typed before anything else is checked: nothing the citizen typed is lost."""
    store = deps.store(request)
    store.update_application(
        application.id,
        name=form.name.strip(),
        id_number=form.id_number.strip(),
        birth_date=form.birth_date,
        sex=form.sex,
        address=form.address.strip(),
        netizen_prefill=None,
    )
    saved = store.application(application.id)
    assert saved is not None
    return saved


@router.post("/register/profile", dependencies=[Depends(require_csrf)])
def save_profile(request: Request, application: ContactVerified, form: Annotated[ProfileForm, Form()]) -> Response:
    """[下一步]: save what was typed first (nothing is lost), then check it."""
    store = deps.store(request)
    saved = _save_draft(request, application, form)
    today = date.fromtimestamp(deps.clock(request).now())
    errors = check_profile(form.name, form.id_number, form.birth_date, form.sex, form.address, today)
    if not errors:
        id_number = form.id_number.strip()
        registered = store.member_by("id_number", id_number) is not None
        told = store.registered_ids_told(application.id, id_number if registered else None)
        if told > deps.settings(request).id_probe_limit:  # from then on the same answer, whatever number is typed
            errors.append(ID_PROBES_EXCEEDED)
        elif registered:
            errors.append("此身分證字號已註冊為會員，請直接登入。")
    if errors:
        return _profile_page(request, saved, status_code=400, errors=errors)
    return RedirectResponse("/register/password", status_code=303)


def _callback_url(request: Request) -> str:
    return str(request.url_for("netizen_callback"))


@router.post("/register/netizen", dependencies=[Depends(require_csrf)])
def netizen_start(request: Request, application: ContactVerified, form: Annotated[ProfileForm, Form()]) -> Response:
    """[取回網路市民資料]: keep the half-typed form, then send the citizen to the 網路市民 login."""
    saved = _save_draft(request, application, form)
    netizen = deps.outbound(request).netizen
    if not netizen.reachable(_callback_url(request)):
        return _profile_page(request, saved, status_code=503, errors=[NETIZEN_DOWN])
    state = secrets.token_urlsafe(16)
    request.session["netizen_state"] = state
    return RedirectResponse(netizen.authorize_url(_callback_url(request), state), status_code=303)


@router.get("/register/netizen/callback", name="netizen_callback")
def netizen_callback(
    request: Request, application: ContactVerified, state: str = "", code: str = "", error: str = ""
) -> Response:
    """Back from 網路市民: exchange the code, read the profile, prefill the basic-data form."""
    expected = request.session.pop("netizen_state", None)
    if not expected or not secrets.compare_digest(state, expected):
        request.session["netizen_notice"] = "網路市民授權已逾時，請再按一次「取回網路市民資料」。"
    elif error:
        request.session["netizen_notice"] = "您已取消取回網路市民資料，可直接填寫基本資料。"
    else:
        try:
            found = deps.outbound(request).netizen.profile(code, _callback_url(request))
        except NetizenUnavailable:
            request.session["netizen_notice"] = NETIZEN_DOWN
        else:
            prefill = {key: str(found[key]) for key in ("name", "id_number", "address") if found.get(key)}
            # Kept with the application, not in the cookie: a signed cookie is still readable by whoever holds it.
            deps.store(request).update_application(application.id, netizen_prefill=json.dumps(prefill))
            request.session["netizen_notice"] = (
                "已帶入網路市民資料，請確認後按「下一步」。"
                if "id_number" in prefill
                else "已帶入網路市民資料，但其中沒有身分證字號，請自行填寫。"
            )
    return RedirectResponse("/register/profile", status_code=303)


@router.get("/register/password")
def password(request: Request, application: ProfileFilled) -> Response:
    """Step 8: the rules are on the page, met or unmet as the citizen types."""
    return render(request, "password.html", title="設定密碼", rules=RULES, errors=[])


@router.post("/register/password", dependencies=[Depends(require_csrf)])
def register(
    request: Request,
    application: ProfileFilled,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """[註冊]: the rules again on the server, no duplicate member, the password hashed (scrypt)."""
    store = deps.store(request)
    errors = [f"密碼不符合規則：{rule.label}。" for rule in unmet(password)]
    if password != confirm:
        errors.append("兩次輸入的密碼不一致。")
    # ProfileFilled saw to these three; the asserts say so to mypy.
    assert application.id_number is not None
    assert application.channel is not None
    assert application.contact is not None
    if store.member_by("id_number", application.id_number) is not None:
        errors.append("此身分證字號已註冊為會員，請直接登入。")
    if store.member_by(application.channel, application.contact) is not None:
        errors.append("此手機號碼或電子郵件已註冊為會員，請直接登入。")
    if errors:
        return render(request, "password.html", status_code=400, title="設定密碼", rules=RULES, errors=errors)
    member = store.add_member(application, hash_password(password))
    end_application(request)
    sign_in(request, member)
    return RedirectResponse("/register/done", status_code=303)
