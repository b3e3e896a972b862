"""`python -m simulators.registry [--port N]`: run the card-services registry simulator alone."""

from __future__ import annotations

from simulators._main import run_alone
from simulators.registry.service import create_app

run_alone("registry", create_app)
