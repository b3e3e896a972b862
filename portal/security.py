"""CSRF protection for every POST: a per-session token, checked in constant time."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

CSRF_FIELD = "csrf_token"
CSRF_MESSAGE = "表單已逾時或來源無法確認，請重新整理頁面後再試一次。"


def csrf_token(request: Request) -> str:
    """The session's token, made on first use; templates put it in a hidden field."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def require_csrf(request: Request) -> None:
    """Dependency for POST routes: refuse with 403 unless the form (or, for JSON, a header) carries the token."""
    sent: object = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(("application/x-www", "multipart/")):
        sent = (await request.form()).get(CSRF_FIELD)
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(status_code=403, detail=CSRF_MESSAGE)
