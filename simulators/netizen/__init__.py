"""網路市民 legacy-account simulator: a standard OAuth 2.0 login, consent and profile (our documented design)."""

from __future__ import annotations

from simulators.netizen.client import NetizenClient
from simulators.netizen.faults import NetizenFault
from simulators.netizen.models import NetizenAccount
from simulators.netizen.oauth import NetizenSettings
from simulators.netizen.service import create_app

__all__ = ["NetizenAccount", "NetizenClient", "NetizenFault", "NetizenSettings", "create_app"]
