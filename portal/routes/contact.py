"""Documented steps 4–6: send a one-time code by SMS or e-mail, then check it with 「我不是機器人」."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from portal import deps
from portal.adapters import DeliveryError
from portal.adapters.captcha import CaptchaUnavailable
from portal.contacts import AddressError, folded, normalized
from portal.rendering import render
from portal.security import require_csrf
from portal.session import SESSION_ID, Applying
from portal.settings import PortalSettings
from portal.store import Application, Busy, CodeCheck

router = APIRouter()

CHANNELS = {"mobile": "手機號碼", "email": "電子郵件"}
TITLE = "驗證手機或電子郵件"
CAPTCHA_FAILED = "「我不是機器人」驗證未通過，請重新勾選。"


class ContactForm(BaseModel):
    """What 藍色[寄送驗證碼簡訊] posts: the channel chosen and the address typed for each."""

    channel: str = "mobile"
    mobile: str = ""
    email: str = ""
    csrf_token: str = ""


class Refused(Exception):
    """Why a code was not sent or not accepted, in the words the citizen reads, and the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def code_hash(settings: PortalSettings, challenge: tuple[int, str, str], code: str) -> str:
    """HMAC-SHA256 of the code under the server's key, bound to its (application, channel, recipient): the stored
    hash of a six-digit code is worthless without the key (an unkeyed hash falls to a million guesses)."""
    key = settings.otp_key.encode() or hmac.digest(settings.secret_key.encode(), b"tpcd one-time code key", "sha256")
    application_id, channel, contact = challenge
    return hmac.new(key, f"{application_id}:{channel}:{contact}:{code}".encode(), hashlib.sha256).hexdigest()


def accepted_hostnames(configured: tuple[str, ...], request: Request) -> set[str]:
    """The hostnames a 「我不是機器人」 token may have been solved on: the configured ones, else this request's."""
    return set(configured) if configured else {request.url.hostname or ""}


def _page(
    request: Request,
    application: Application,
    *,
    refused: Refused | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The contact page in its current stage: choose and send, or enter the code; with why the last try failed."""
    settings, now = deps.settings(request), deps.clock(request).now()
    challenge = deps.store(request).latest_challenge(application.id)
    waiting = challenge is not None and not challenge.used
    cooldown = 0 if challenge is None else max(0, int(challenge.sent_at + settings.otp_cooldown - now + 0.999))
    typed = typed or {}
    return render(
        request,
        "contact.html",
        status_code=refused.status if refused else 200,
        title=TITLE,
        error=refused.message if refused else "",
        channel=typed.get("channel") or application.channel or "mobile",
        mobile=typed.get("mobile", application.contact if application.channel == "mobile" else ""),
        email=typed.get("email", application.contact if application.channel == "email" else ""),
        challenge=challenge if waiting else None,
        cooldown=cooldown,
        settings=settings,
        sent_to=challenge.contact if waiting and challenge else "",
    )


def _deliver(request: Request, channel: str, contact: str, code: str, *, clientid: str) -> None:
    """Send `code` by SMS (Mitake) or e-mail (SMTP); DeliveryError says in Chinese why it did not go."""
    minutes = int(deps.settings(request).otp_ttl // 60)
    if channel == "mobile":
        body = f"【臺北卡】您的驗證碼為 {code}\n請於 {minutes} 分鐘內輸入，勿提供給他人。"
        deps.outbound(request).sms.send(contact, body, clientid=clientid)
        return
    text = f"您好：\n\n您的臺北卡3.0 會員註冊驗證碼為 {code}，請於 {minutes} 分鐘內輸入。\n如非本人操作，請忽略此信。"
    html = (
        f"<p>您好：</p><p>您的臺北卡3.0 會員註冊驗證碼為 <strong>{code}</strong>，請於 {minutes} 分鐘內輸入。</p>"
        "<p>如非本人操作，請忽略此信。</p>"
    )
    deps.outbound(request).mail.send(contact, "臺北卡3.0 會員註冊驗證碼", text, html)


def _tell_registered(request: Request, channel: str, contact: str, *, clientid: str) -> None:
    """Tell the owner of an address that is already a member's, instead of sending a code: only they read it."""
    said = f"此{CHANNELS[channel]}已註冊為會員，請直接登入臺北卡3.0。"
    if channel == "mobile":
        body = f"【臺北卡】{said}如非本人操作，請忽略此訊息。"
        deps.outbound(request).sms.send(contact, body, clientid=clientid)
        return
    text = f"您好：\n\n有人以此電子郵件申請臺北卡3.0 會員。{said}\n如非本人操作，請忽略此信。"
    html = f"<p>您好：</p><p>有人以此電子郵件申請臺北卡3.0 會員。{said}</p><p>如非本人操作，請忽略此信。</p>"
    deps.outbound(request).mail.send(contact, "臺北卡3.0 會員註冊通知", text, html)


def _send(request: Request, application: Application, channel: str, typed: str) -> None:
    """Validate the address, respect its cooldown and hourly cap, send a fresh six-digit code; Refused says why not.

    To an address a member already holds, the same page follows but the message says so instead of carrying a code:
    the page never tells whoever typed the address whether it is registered (account enumeration), its owner does
    learn it, and the code to enter is one nobody knows.
    """
    settings, store, now = deps.settings(request), deps.store(request), deps.clock(request).now()
    if channel not in CHANNELS:
        raise Refused("請選擇以手機號碼或電子郵件接收驗證碼。")
    try:
        contact = normalized(channel, typed)
    except AddressError as error:
        raise Refused(str(error)) from error
    registered = store.member_by(channel, contact) is not None
    reserved = store.reserve_delivery(
        channel,
        folded(channel, contact),
        now=now,
        cooldown=settings.otp_cooldown,
        hourly_cap=settings.otp_hourly_cap,
        sender=(application.id, str(request.session.get(SESSION_ID, ""))),
        sender_caps=(settings.otp_application_cap, settings.otp_session_cap),
    )
    if isinstance(reserved, Busy):
        if reserved.by_sender:
            minutes = max(1, math.ceil(reserved.seconds / 60))
            raise Refused(f"本次申請一小時內已寄送多次驗證碼，請於 {minutes} 分鐘後再試。", 429)
        if reserved.hourly_cap:
            minutes = max(1, math.ceil(reserved.seconds / 60))
            raise Refused(f"此{CHANNELS[channel]}一小時內已收到多次驗證碼，請於 {minutes} 分鐘後再試。", 429)
        raise Refused(f"驗證碼剛寄出，請於 {int(reserved.seconds + 0.999)} 秒後再重新寄送。", 429)

    code = f"{secrets.randbelow(10**6):06d}"
    digest = code_hash(settings, (application.id, channel, contact), code)
    challenge_id = store.add_challenge(
        application.id, channel, contact, digest, sent_at=now, ttl=settings.otp_ttl, tries=settings.otp_tries
    )
    # Unique across restarts of the portal on a fresh database: a gateway remembers clientids for 12 hours and answers
    # a repeated one with the first result, delivering nothing (Mitake's Duplicate=Y).
    clientid = f"tpcd-otp-{challenge_id}-{secrets.token_hex(8)}"
    try:
        if registered:
            _tell_registered(request, channel, contact, clientid=clientid)
        else:
            _deliver(request, channel, contact, code, clientid=clientid)
    except DeliveryError as error:
        store.drop_challenge(challenge_id)
        store.cancel_delivery(reserved)
        raise Refused(error.message, 502) from error
    store.retire_challenges(application.id, keep=challenge_id)  # only now: a failed resend voids no code
    if (channel, folded(channel, contact)) != (application.channel, folded(channel, application.contact or "")):
        # Another number or address: verified it is not, whatever the earlier one was (the code decides again).
        store.update_application(application.id, channel=channel, contact=contact, contact_verified_at=None)


def _check(request: Request, application: Application, code: str, captcha_token: str) -> None:
    """The captcha and the code, checked again on the server whatever the page allowed; Refused says why not."""
    settings, store, now = deps.settings(request), deps.store(request), deps.clock(request).now()
    challenge = store.latest_challenge(application.id)
    if challenge is None or challenge.used:
        raise Refused("請先按「寄送驗證碼簡訊」取得驗證碼。")
    if now > challenge.expires_at:
        store.use_challenge(challenge.id)
        raise Refused("驗證碼已逾時，請重新寄送驗證碼。", 410)
    if not code.strip():
        raise Refused("請輸入驗證碼。")
    if not captcha_token:
        raise Refused("請勾選「我不是機器人」。")
    try:
        verdict = deps.outbound(request).siteverify.check(captcha_token, request.client.host if request.client else "")
    except CaptchaUnavailable as error:
        raise Refused("目前無法確認「我不是機器人」驗證，請稍後再試。", 503) from error
    # A token solved on another site (siteverify names it in `hostname`, docs/protocols/recaptcha.md) proves nothing.
    if not verdict.success or verdict.hostname not in accepted_hostnames(settings.captcha_hostnames, request):
        raise Refused(CAPTCHA_FAILED)
    digest = code_hash(settings, (application.id, challenge.channel, challenge.contact), code.strip())
    outcome, left = store.try_code(challenge.id, digest, verified_at=str(now))
    if outcome is CodeCheck.VOID:
        raise Refused("本次驗證碼已失效，請重新寄送驗證碼。")
    if outcome is CodeCheck.WRONG and left <= 0:
        raise Refused(f"驗證碼錯誤已達 {settings.otp_tries} 次，本次驗證碼已失效，請重新寄送驗證碼。")
    if outcome is CodeCheck.WRONG:
        raise Refused(f"驗證碼錯誤，您還可以再試 {left} 次。")


@router.get("/register/contact")
def contact(request: Request, application: Applying) -> Response:
    """Step 4 (and 6 once a code is out)."""
    return _page(request, application)


@router.post("/register/contact/send", dependencies=[Depends(require_csrf)])
def send_code(request: Request, application: Applying, form: Annotated[ContactForm, Form()]) -> Response:
    """藍色[寄送驗證碼簡訊]: a fresh code to the typed address, or the page again saying why not."""
    typed = {"channel": form.channel, "mobile": form.mobile.strip(), "email": form.email.strip()}
    try:
        _send(request, application, form.channel, typed.get(form.channel, ""))
    except Refused as refused:
        return _page(request, application, refused=refused, typed=typed)
    return RedirectResponse("/register/contact", status_code=303)


@router.post("/register/contact/verify", dependencies=[Depends(require_csrf)])
def verify_code(
    request: Request,
    application: Applying,
    code: Annotated[str, Form()] = "",
    captcha_token: Annotated[str, Form(alias="g-recaptcha-response")] = "",
) -> Response:
    """灰色[下一步]: on to the basic data once the code and the captcha pass, or the page again saying why not."""
    try:
        _check(request, application, code, captcha_token)
    except Refused as refused:
        return _page(request, application, refused=refused)
    return RedirectResponse("/register/profile", status_code=303)
