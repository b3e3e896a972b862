"""The portal profile: what a portal built to the guide may do differently from the twin, in one small TOML file.

The suite reaches every screen from the portal's home by the guide's links and buttons (or by the HTTP walk of the
public forms); it never opens a screen by a route of its own. What it cannot learn from the pages is here: where the
home page is, the 網路市民 callback the portal registered, and the wording of links the guide does not spell out
(docs/deployment.md#portal-profile). The twin's profile (harness/profiles/twin.toml) is the default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from domain.links import Links
from harness.settings import Settings, SettingsError

TWIN_PROFILE = Path(__file__).parent / "profiles" / "twin.toml"


class ProfileError(SettingsError):
    """A portal profile that cannot be used as written, said in one line naming the file and key."""


@dataclass(frozen=True, slots=True)
class PortalProfile:
    """Where a portal's home and 網路市民 callback are (paths under its base URL) and how its links read."""

    home: str
    netizen_callback: str
    links: Links
    # Screens the guide never links to for who opens them: a scenario checks the portal refuses to show them (a link
    # passed on, a bookmark) by opening their address; title → path under the base URL.
    addresses: dict[str, str] = field(default_factory=dict)
    source: Path = field(default=TWIN_PROFILE, compare=False)

    def url(self, base_url: str, path: str) -> str:
        """`path` under `base_url`: a leading / stays under the base URL's own path (https://host/tpcd + /x)."""
        return base_url.rstrip("/") + "/" + path.lstrip("/")

    def home_url(self, base_url: str) -> str:
        """The portal's home page, where every scenario in the browser starts."""
        return self.url(base_url, self.home)

    def netizen_callback_url(self, base_url: str) -> str:
        """The redirect URI the portal registered with 網路市民."""
        return self.url(base_url, self.netizen_callback)


def profile_of(settings: Settings) -> PortalProfile:
    """The profile `settings` name (portal_profile, relative to the project root), or the twin's."""
    chosen = settings.portal_profile
    return load_profile(settings.path(chosen) if chosen is not None else None)


def load_profile(path: Path | None = None) -> PortalProfile:
    """The profile in `path` (None: the twin's), every key checked; ProfileError names the file and the key."""
    chosen = path or TWIN_PROFILE
    try:
        table = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"portal profile {chosen}: cannot be read ({error.strerror or error})") from error
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"portal profile {chosen} is not valid TOML: {error}") from error
    links = table.pop("links", None)
    addresses = table.pop("addresses", {})
    if not isinstance(addresses, dict):
        raise ProfileError(f"portal profile {chosen}: [addresses] is a table of screen titles and paths")
    if not isinstance(links, dict):
        raise ProfileError(f"portal profile {chosen}: needs a [links] table ({_names(Links)})")
    paths = {name: _path(chosen, name, table) for name in ("home", "netizen_callback")}
    _unknown(chosen, "", table, {"home", "netizen_callback"})
    _unknown(chosen, "links.", links, {f.name for f in fields(Links)})
    wording = {f.name: _text(chosen, f"links.{f.name}", links.get(f.name)) for f in fields(Links)}
    where = {str(title): _path(chosen, str(title), addresses) for title in list(addresses)}
    return PortalProfile(**paths, links=Links(**wording), addresses=where, source=chosen)


def _path(source: Path, name: str, table: dict[str, Any]) -> str:
    value = _text(source, name, table.pop(name, None))
    if not value.startswith("/") or "://" in value or any(c in value for c in "?#"):
        raise ProfileError(f"portal profile {source}: {name}={value!r} must be a path under the base URL, e.g. /")
    return value


def _text(source: Path, name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"portal profile {source}: {name} must be given as non-empty text")
    return value


def _unknown(source: Path, prefix: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        listed = ", ".join(sorted(known))
        raise ProfileError(f"portal profile {source}: unknown key {prefix}{unknown[0]}; known: {listed}")


def _names(kind: type) -> str:
    return ", ".join(f.name for f in fields(kind))
