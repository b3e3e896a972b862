"""reCAPTCHA v2 checkbox simulator: the 「我不是機器人」 widget, its tokens and siteverify, all offline."""

from __future__ import annotations

from simulators.captcha.client import CaptchaClient
from simulators.captcha.faults import CaptchaFault, CaptchaMode
from simulators.captcha.service import CaptchaSettings, create_app

__all__ = ["CaptchaClient", "CaptchaFault", "CaptchaMode", "CaptchaSettings", "create_app"]
