"""`python -m simulators.captcha [--port N]`: run the reCAPTCHA simulator alone."""

from __future__ import annotations

from simulators.captcha.service import create_app
from simulators.standalone import run_alone

run_alone("captcha", create_app)
