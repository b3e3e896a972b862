"""The captcha simulator on HTTP and HTTPS (one app), its CA in a file; a page server for the widget in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import django
import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext

from simulators.captcha import CaptchaSettings, ca_pem, create_app, serve_https
from simulators.serving import serve_asgi
from tests.simulators.captcha.served import ServedCaptcha

if (
    not settings.configured
):  # before django_recaptcha is imported: the least a Django site sets for its field and widget
    settings.configure(
        INSTALLED_APPS=["django_recaptcha"], USE_I18N=False, RECAPTCHA_DOMAIN="www.google.com", SECRET_KEY="tests"
    )
    django.setup()


@pytest.fixture
def served_captcha(tmp_path: Path) -> Iterator[ServedCaptcha]:
    """Google's two-minute token: a test that wants one to expire moves the page's clock (page.clock), never waits;
    a short real TTL would expire tokens a slow machine is still checking."""
    app = create_app(CaptchaSettings(tls=True))
    ca_file = tmp_path / "captcha-ca.pem"
    ca_file.write_bytes(ca_pem(app))
    with serve_asgi(app, name="captcha") as http, serve_https(app) as (_, https):
        yield ServedCaptcha(http, https, ca_file)


@pytest.fixture
def widget_context(browser: Browser) -> Iterator[BrowserContext]:
    """A zh-TW context that accepts the simulator's certificate (Chromium has its own trust store, not ours)."""
    context = browser.new_context(locale="zh-TW", ignore_https_errors=True)
    try:
        yield context
    finally:
        context.close()
