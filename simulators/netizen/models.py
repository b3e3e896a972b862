"""Wire records of the 網路市民 simulator (our field names, docs/protocols/netizen-oauth.md): the control surface takes
them and the profile endpoint answers with them, so each key is spelled once, as a field name here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class NetizenAccount:
    """A legacy account and the profile it holds; `id_number` was optional at sign-up."""

    account: str
    password: str = field(repr=False)  # never in a repr: reports show step arguments
    name: str
    email: str = ""
    mobile: str = ""
    address: str = ""
    id_number: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """`POST /_control/accounts`'s body."""
        return asdict(self)

    def profile(self, *, with_id_number: bool = True) -> dict[str, Any]:
        """`GET /api/v1/profile`'s answer: everything but the password, `id_number` only when known and wanted."""
        shown = {k: v for k, v in asdict(self).items() if k != "password"}
        if shown["id_number"] is None or not with_id_number:
            del shown["id_number"]
        return shown


@dataclass(frozen=True, slots=True)
class RedirectUriRegistration:
    """`POST /_control/redirect_uris`'s body: one more exact redirect URI for the portal's client."""

    redirect_uri: str
