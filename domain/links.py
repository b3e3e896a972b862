"""The wording of the portal's links that the guide does not spell out: page objects follow them, a portal profile
(harness/profile.py) says how a portal writes them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Links:
    """The wording of links the guide does not spell out, as the portal shows them."""

    login: str  # on the home page, to the login form
    member_home: str  # on the home page once logged in, to the member's own page
