"""`python -m simulators.netizen [--port N]`: run the 網路市民 simulator alone."""

from __future__ import annotations

from simulators.netizen.service import create_app
from simulators.standalone import run_alone

run_alone("netizen", create_app)
