"""reCAPTCHA v2 checkbox simulator: the 「我不是機器人」 widget, its tokens and siteverify, all offline."""

from __future__ import annotations

from simulators.captcha.client import CaptchaClient, tick
from simulators.captcha.faults import GOOGLE_TEST_SECRET, GOOGLE_TEST_SITE_KEY, CaptchaFault, CaptchaMode
from simulators.captcha.service import CaptchaSettings, ca_pem, create_app, serve_https

__all__ = [
    "GOOGLE_TEST_SECRET",
    "GOOGLE_TEST_SITE_KEY",
    "CaptchaClient",
    "CaptchaFault",
    "CaptchaMode",
    "CaptchaSettings",
    "ca_pem",
    "create_app",
    "serve_https",
    "tick",
]
