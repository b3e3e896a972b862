"""django-recaptcha against the simulator: its client module over HTTPS (it hard-codes `https://<RECAPTCHA_DOMAIN>`),
its form field, and its widget markup ticked in Chromium, as a Django site uses them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.error import URLError

import pytest
import requests
from django import forms
from django.conf import settings
from django_recaptcha import client
from django_recaptcha.fields import ReCaptchaField
from playwright.sync_api import BrowserContext, expect
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from simulators.captcha import GOOGLE_TEST_SECRET, CaptchaClient, CaptchaFault
from simulators.serving import serve_asgi
from tests.simulators.captcha.served import ServedCaptcha

SITE_KEY, SECRET = "tpcd-test-site-key", "tpcd-test-secret"


class SignUpForm(forms.Form):
    """A Django site's form with django-recaptcha's v2 checkbox."""

    captcha = ReCaptchaField(public_key=SITE_KEY, private_key=SECRET)


@pytest.fixture
def google(served_captcha: ServedCaptcha, monkeypatch: pytest.MonkeyPatch) -> ServedCaptcha:
    """django-recaptcha pointed at the simulator's HTTPS port, urllib trusting its CA, as a site's operator would."""
    monkeypatch.setattr(settings, "RECAPTCHA_DOMAIN", served_captcha.https_domain)
    monkeypatch.setenv("SSL_CERT_FILE", str(served_captcha.ca_file))
    return served_captcha


def _token(captcha: ServedCaptcha, hostname: str = "www.example.test") -> str:
    reply = requests.post(
        f"{captcha.http}/recaptcha/api2/userverify", json={"sitekey": SITE_KEY, "hostname": hostname}, timeout=5
    ).json()
    token: str = reply["token"]
    return token


def _validate(data: dict[str, Any], remote_addr: str = "203.0.113.9") -> SignUpForm:
    """What a Django view does; ReCaptchaField finds the client's address in a `request` of its callers' frames."""
    request = SimpleNamespace(META={"REMOTE_ADDR": remote_addr})
    assert request.META
    form = SignUpForm(data)
    form.is_valid()
    return form


def test_the_client_module_verifies_a_token_once(google: ServedCaptcha) -> None:
    token = _token(google)
    first = client.submit(token, SECRET, "203.0.113.9")
    assert first.is_valid is True
    assert first.error_codes == []
    assert first.extra_data["hostname"] == "www.example.test"
    again = client.submit(token, SECRET, "203.0.113.9")
    assert again.is_valid is False
    assert again.error_codes == ["timeout-or-duplicate"]


def test_the_client_module_reads_googles_error_codes(google: ServedCaptcha) -> None:
    refused = client.submit("forged", "not-the-secret", "203.0.113.9")
    assert refused.is_valid is False
    assert refused.error_codes == ["invalid-input-secret"]
    assert client.submit("forged", SECRET, "").error_codes == ["invalid-input-response"]


def test_googles_test_secret_passes_through_the_client_module(google: ServedCaptcha) -> None:
    verdict = client.submit("anything at all", GOOGLE_TEST_SECRET, "203.0.113.9")
    assert verdict.is_valid is True
    assert verdict.extra_data["hostname"] == "testkey.google.com"


def test_the_https_port_is_only_trusted_with_the_simulators_ca(
    served_captcha: ServedCaptcha, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(settings, "RECAPTCHA_DOMAIN", served_captcha.https_domain)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
    with pytest.raises(URLError, match="CERTIFICATE_VERIFY_FAILED"):
        client.submit("x", SECRET, "")


def test_the_form_field_accepts_a_ticked_box_and_refuses_a_reused_or_rejected_one(google: ServedCaptcha) -> None:
    token = _token(google)
    assert _validate({"g-recaptcha-response": token}).errors == {}
    assert _validate({"g-recaptcha-response": token}).errors["captcha"][0].startswith("Error verifying reCAPTCHA")
    with CaptchaClient(google.http) as control:
        control.arm(CaptchaFault.REJECTED)
        assert "captcha" in _validate({"g-recaptcha-response": _token(google)}).errors


@pytest.fixture
def django_site(google: ServedCaptcha) -> Iterator[str]:
    """A site whose page is django-recaptcha's form and whose POST validates it with django-recaptcha."""

    async def page(request: Request) -> Response:
        if request.method == "POST":
            data = dict(await request.form())
            form = await run_in_threadpool(_validate, data, request.client.host if request.client else "")
            return PlainTextResponse("valid" if form.is_valid() else f"invalid: {form.errors.as_text()}")
        body = f"<!doctype html><title>sign up</title><form method='post'>{SignUpForm().as_p()}<button>送出</button>"
        return HTMLResponse(body + "</form>")

    app = Starlette(routes=[Route("/", page, methods=["GET", "POST"])])
    with serve_asgi(app, name="django-site") as url:
        yield url


def test_django_recaptchas_widget_ticked_in_chromium_passes_its_own_validation(
    django_site: str, widget_context: BrowserContext
) -> None:
    page = widget_context.new_page()
    page.goto(django_site)
    widget = page.locator(".g-recaptcha")
    expect(widget).to_have_attribute("data-sitekey", SITE_KEY)
    page.get_by_role("checkbox", name="我不是機器人").check()
    expect(page.get_by_role("group", name="reCAPTCHA").get_by_role("status")).to_have_text("驗證成功")
    page.get_by_role("button", name="送出").click()
    expect(page.locator("body")).to_have_text("valid")
