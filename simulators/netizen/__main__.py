"""`python -m simulators.netizen [--port N]`: run the 網路市民 simulator alone."""

from __future__ import annotations

from simulators._main import run_alone
from simulators.netizen.service import create_app

run_alone("netizen", create_app)
