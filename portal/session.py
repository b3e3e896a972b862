"""What the browser's session holds (the application being filled in, the member logged in) and the guards that
send the browser elsewhere when it lacks what a route needs.

A route declares what it needs (`application: ContactVerified`, `member: LoggedIn`); the guard either returns it
or raises `SessionLacks`, which the app answers once for every route. Whose session it is (an applicant's, a
member's) is written only here (`begin_application`, `end_application`, `sign_in`, `sign_out`).

The signed cookie carries only the session's id; what it stands for lives in the store, so the server can end it:
after logout a copy of the cookie reads nothing, and an application that became a member is read by no session.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from portal import deps
from portal.basic_data import saved_problems
from portal.store import Application, Member, Session

NOT_LOGGED_IN = "請先登入。"
SESSION_ID = "sid"  # the one key of the cookie that says whose session it is


class SessionLacks(Exception):
    """The session does not hold what a route needs; `response` is what the browser gets instead."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.status_code} {response.headers.get('location', '')}".strip())
        self.response = response


def _go(location: str) -> SessionLacks:
    return SessionLacks(RedirectResponse(location, status_code=303))


# what the session holds
def _session(request: Request) -> Session | None:
    """The server's record of this browser's session, unless there is none or it has ended."""
    session_id = request.session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return None
    settings = deps.settings(request)
    now = deps.clock(request).now()
    return deps.store(request).session(
        session_id, now=now, idle=settings.session_idle, lifetime=settings.session_lifetime
    )


def current_application(request: Request) -> Application | None:
    """The application this browser is filling in, if any (never one that already became a member)."""
    session = _session(request)
    if session is None or session.application_id is None:
        return None
    application = deps.store(request).application(session.application_id)
    return application if application is not None and application.finished_at is None else None


def current_member(request: Request) -> Member | None:
    """The member logged in on this browser, if any."""
    session = _session(request)
    if session is None or session.member_id is None:
        return None
    return deps.store(request).member_by("id", str(session.member_id))


def begin_application(request: Request, application: Application) -> None:
    """The citizen consented: this browser now fills in `application`."""
    session = _session(request)
    if session is not None:
        deps.store(request).attach_application(session.id, application.id)
        return
    _open(request, application_id=application.id)


def end_application(request: Request) -> None:
    """The application became a member: nothing is left for this browser to fill in."""
    session = _session(request)
    if session is not None:
        deps.store(request).attach_application(session.id, None)


def sign_in(request: Request, member: Member) -> None:
    """This browser is `member`'s from now on, under a new session id (the old one, and any copy of it, ends)."""
    sign_out(request)
    _open(request, member_id=member.id)


def _open(request: Request, *, application_id: int | None = None, member_id: int | None = None) -> None:
    """A new server-side session for this browser; records of sessions long over are dropped on the way."""
    store, now = deps.store(request), deps.clock(request).now()
    store.forget_sessions(before=now - deps.settings(request).session_lifetime)
    request.session[SESSION_ID] = store.open_session(now=now, application_id=application_id, member_id=member_id)


def sign_out(request: Request) -> None:
    """Nobody is logged in on this browser any more, and the session ends on the server: a copy reads nothing."""
    session = _session(request)
    if session is not None:
        deps.store(request).end_session(session.id, now=deps.clock(request).now())
    request.session.pop(SESSION_ID, None)


# guards: each returns what the route needs or raises SessionLacks
def require_application(request: Request) -> Application:
    """An application in progress (documented steps 4–8), else back to the terms."""
    application = current_application(request)
    if application is None:
        raise _go("/register")
    return application


def require_verified_contact(application: Annotated[Application, Depends(require_application)]) -> Application:
    """An application whose mobile number or e-mail address passed its one-time code, else back to step 4."""
    if not application.contact_verified_at:
        raise _go("/register/contact")
    return application


def require_profile(
    request: Request, application: Annotated[Application, Depends(require_verified_contact)]
) -> Application:
    """A verified application whose saved basic data passes step 7's checks, else back to the basic-data form."""
    today = date.fromtimestamp(deps.clock(request).now())
    if not (application.channel and application.contact) or saved_problems(application, today):
        raise _go("/register/profile")
    return application


def require_member(request: Request) -> Member:
    """A logged-in member, else the home page."""
    member = current_member(request)
    if member is None:
        raise _go("/")
    return member


def require_member_for_script(request: Request) -> Member:
    """A logged-in member, else 401 with a JSON error the page's script shows (it cannot follow a redirect)."""
    member = current_member(request)
    if member is None:
        raise SessionLacks(JSONResponse({"error": NOT_LOGGED_IN}, status_code=401))
    return member


Applying = Annotated[Application, Depends(require_application)]
ContactVerified = Annotated[Application, Depends(require_verified_contact)]
ProfileFilled = Annotated[Application, Depends(require_profile)]
LoggedIn = Annotated[Member, Depends(require_member)]
LoggedInScript = Annotated[Member, Depends(require_member_for_script)]
