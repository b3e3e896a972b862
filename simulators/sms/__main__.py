"""`python -m simulators.sms [--port N]`: run the SMS gateway simulator alone."""

from __future__ import annotations

from simulators.sms.service import create_app
from simulators.standalone import run_alone

run_alone("sms", create_app)
