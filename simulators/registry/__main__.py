"""`python -m simulators.registry [--port N]`: run the card-services registry simulator alone."""

from __future__ import annotations

from simulators.registry.service import create_app
from simulators.standalone import run_alone

run_alone("registry", create_app)
