"""`python -m simulators.captcha [--port N]`: run the reCAPTCHA simulator alone."""

from __future__ import annotations

from simulators._main import run_alone
from simulators.captcha.service import create_app

run_alone("captcha", create_app)
