"""The reference portal twin: the embedded default target, built by `create_app(PortalSettings)`."""

from __future__ import annotations

from portal.app import create_app
from portal.settings import PortalSettings

__all__ = ["PortalSettings", "create_app"]
