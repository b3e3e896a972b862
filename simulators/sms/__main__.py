"""`python -m simulators.sms [--port N]`: run the SMS gateway simulator alone."""

from __future__ import annotations

from simulators._main import run_alone
from simulators.sms.service import create_app

run_alone("sms", create_app)
