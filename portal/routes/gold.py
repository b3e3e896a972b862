"""Documented steps 10–23: the agent download, 步驟二 (ID number, card, PIN), real-name verification, the account
and the app's QR code."""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC, datetime

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from portal import deps
from portal.realname import Evidence, RealNameError, verify
from portal.rendering import render
from portal.security import require_csrf
from portal.session import LoggedIn, LoggedInScript

router = APIRouter()

# Windows 7 is NT 6.1; IE 11 says Trident/, Chrome and Edge say Chrome/ (step 10's notice).
_WINDOWS = re.compile(r"Windows NT (\d+)\.(\d+)")
INSTALLER = "TPCD_SecurityAgent_Setup.exe"


def supported_platform(user_agent: str) -> bool:
    """Windows 7 or later with IE or Chrome, as step 10 says."""
    match = _WINDOWS.search(user_agent)
    windows = match is not None and (int(match.group(1)), int(match.group(2))) >= (6, 1)
    return windows and ("Chrome/" in user_agent or "Trident/" in user_agent)


@router.get("/gold")
def gold(request: Request, member: LoggedIn) -> Response:
    """Step 10 (步驟一): download and start the 安控元件; the page looks for it and says what it found."""
    supported = supported_platform(request.headers.get("user-agent", ""))
    return render(
        request, "gold.html", title="金質會員認證", member=member, supported=supported, settings=deps.settings(request)
    )


@router.get("/gold/agent/download")
def download(request: Request) -> Response:
    """The (simulated) installer file; refused on an unsupported platform."""
    if not supported_platform(request.headers.get("user-agent", "")):
        return render(
            request,
            "error.html",
            status_code=400,
            title="無法下載安控元件",
            message="※目前只限使用Windows7以上版本 IE或Chrome瀏覽器進行安控元件下載和使用。",
        )
    body = b"MZ" + b"\x00" * 62 + "tpcd-harness simulated 安控元件 installer".encode()
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{INSTALLER}"'},
    )


@router.get("/gold/verify")
def step_two(request: Request, member: LoggedIn) -> Response:
    """Steps 20–22 (步驟二): the card in the reader, the ID number, 橘色[送出], then the PINCODE box and [OK]."""
    return render(
        request, "gold_verify.html", title="步驟二：自然人憑證實名驗證", member=member, settings=deps.settings(request)
    )


@router.post("/gold/nonce", dependencies=[Depends(require_csrf)])
def nonce(request: Request, member: LoggedInScript) -> JSONResponse:
    """A fresh server nonce for the card to sign (documented step 22)."""
    value = secrets.token_urlsafe(24)
    nonce_id = deps.store(request).issue_nonce(member.id, value, deps.clock(request).now())
    return JSONResponse({"nonce_id": nonce_id, "nonce": value})


class SignedNonce(BaseModel):
    """What the page sends back after the agent signed."""

    id_number: str
    nonce_id: int
    signature: str
    certb64: str


@router.post("/gold/verify", dependencies=[Depends(require_csrf)])
def verify_card(request: Request, member: LoggedInScript, evidence: SignedNonce) -> JSONResponse:
    """Real-name verification on the server; a failure changes nothing in the member's record."""
    store, settings, now = deps.store(request), deps.settings(request), deps.clock(request).now()
    issued = store.take_nonce(evidence.nonce_id, member.id)
    try:
        if issued is None or now - issued[1] > settings.nonce_ttl:
            raise RealNameError("驗證已逾時，請重新按「送出」。")
        cert = verify(
            Evidence(evidence.id_number, issued[0], evidence.signature, evidence.certb64),
            member_id_number=member.id_number,
            trusted_pem=settings.trusted_ca_pem,
            timeout=settings.outbound_timeout,
        )
        serial = f"{cert.serial_number:x}"
        holder = store.member_by("cert_serial", serial)
        if holder is not None and holder.id != member.id:
            raise RealNameError("此自然人憑證已綁定其他會員帳號，無法再次使用。")
    except RealNameError as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    store.verify_member(member.id, cert_serial=serial, verified_at=datetime.now(UTC).isoformat())
    return JSONResponse({"next": "/gold/done"})


@router.get("/gold/done")
def done(request: Request, member: LoggedIn) -> Response:
    """Step 23: the account, the password unchanged, the app's QR code, 橘色[登入臺北卡3.0網站]."""
    if member.verified_level == "0":
        return RedirectResponse("/gold", status_code=303)
    return render(request, "gold_done.html", title="實名認證成功", member=member)


@router.get("/gold/app-qr.png")
def app_qr(request: Request) -> Response:
    """A real QR code of the mobile app's download page."""
    png = io.BytesIO()
    segno.make(deps.settings(request).app_download_url, error="m").save(png, kind="png", scale=6, border=4)
    return Response(png.getvalue(), media_type="image/png")
