"""What every route reaches for: the store, the settings, the clock, and the session's application or member."""

from __future__ import annotations

from fastapi import Request

from portal.clock import Clock
from portal.settings import PortalSettings
from portal.store import Application, Member, Store


def store(request: Request) -> Store:
    found: Store = request.app.state.store
    return found


def settings(request: Request) -> PortalSettings:
    found: PortalSettings = request.app.state.settings
    return found


def clock(request: Request) -> Clock:
    found: Clock = request.app.state.clock
    return found


def application(request: Request) -> Application | None:
    """The application this browser is filling in, if any."""
    application_id = request.session.get("application_id")
    return store(request).application(application_id) if isinstance(application_id, int) else None


def member(request: Request) -> Member | None:
    """The member logged in on this browser, if any."""
    member_id = request.session.get("member_id")
    return store(request).member_by("id", str(member_id)) if isinstance(member_id, int) else None
