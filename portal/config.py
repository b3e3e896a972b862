"""The portal twin configured as a deployment is: from its environment, or a dotenv/JSON file beside it.

Every PortalSettings field is the variable `PORTAL_<FIELD>` (`PORTAL_SMTP_PORT`, `PORTAL_OTP_TTL` …); the systems the
portal calls have no default, so a deployment that forgot one stops with the key's name instead of calling Mitake or
Google. The trusted MOICA chain is given as a file (`PORTAL_TRUSTED_CA_FILE`), and where the portal binds as
`PORTAL_LISTEN` / `PORTAL_PORT`. A file's keys come first; the environment overrides them (as with dotenv).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from portal.settings import PortalSettings

PREFIX = "PORTAL_"
TRUSTED_CA_FILE = "PORTAL_TRUSTED_CA_FILE"
LISTEN, PORT = "PORTAL_LISTEN", "PORTAL_PORT"
# The systems a deployment is configured with (docs/protocols/index.md), each without a default: what
# `tpcd up --portal-config` writes. Field → what it is, for errors and docs/deployment.md's table.
SYSTEMS: dict[str, str] = {
    "sms_gateway_url": "the Mitake SmSend URL the one-time codes are sent through",
    "sms_username": "the Mitake account (username)",
    "sms_password": "the Mitake account's password",
    "smtp_host": "the SMTP server the verification e-mail goes to",
    "smtp_port": "that SMTP server's port",
    "captcha_script_url": "the reCAPTCHA widget script (api.js)",
    "captcha_verify_url": "the reCAPTCHA siteverify URL",
    "captcha_site_key": "the reCAPTCHA site key",
    "captcha_secret": "the reCAPTCHA secret",
    "netizen_url": "the 網路市民 OAuth base URL",
    "netizen_client_id": "the portal's 網路市民 client id",
    "netizen_client_secret": "the portal's 網路市民 client secret",
    "registry_url": "the card-services registry's base URL",
    "agent_url": "where the citizen's 安控元件 listens, as the pages call it",
    "trusted_ca_pem": "a PEM file of the MOICA CA certificates a citizen certificate must chain to",
}
# Read but not used by the twin, which follows each certificate's AIA and CRL distribution point (they carry these
# same URLs); a deployment configured with a fixed responder uses them.
INFORMATIONAL: dict[str, str] = {
    "PORTAL_OCSP_URL": "the MOICA OCSP responder",
    "PORTAL_CRL_URL": "the MOICA CRL",
}
URL_FIELDS = {name for name in SYSTEMS if name.endswith("_url")} | {"app_download_url"}


class PortalConfigError(ValueError):
    """A configuration key that is missing or cannot be used; the message names it and where it came from."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """The portal's settings and where it binds."""

    settings: PortalSettings
    listen: str = "127.0.0.1"
    port: int = 0


def key_of(field_name: str) -> str:
    """The variable that sets a PortalSettings field."""
    return TRUSTED_CA_FILE if field_name == "trusted_ca_pem" else PREFIX + field_name.upper()


def read_file(path: Path) -> dict[str, str]:
    """The keys of a JSON object or a dotenv file (`KEY=value`, `#` comments, optional quotes and `export`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PortalConfigError(f"{path}: cannot be read ({error.strerror})") from error
    if path.suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as error:
            raise PortalConfigError(f"{path}: not valid JSON ({error})") from error
        if not isinstance(loaded, dict):
            raise PortalConfigError(f"{path}: expected a JSON object of PORTAL_* keys")
        return {str(key): _json_text(value) for key, value in loaded.items()}
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.removeprefix("export ").partition("=")
        if not equals:
            raise PortalConfigError(f"{path}:{number}: expected KEY=value, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _json_text(value: Any) -> str:
    """A JSON value as the environment would spell it: a list comma-separated, true/false, null empty."""
    if isinstance(value, list):
        return ",".join(_json_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _coerce(key: str, raw: str, annotation: Any, source: str) -> Any:
    """`raw` as the field's type, parsed by pydantic (its lax mode: "true"/"off", "25", "1.5", a path); a list is
    comma-separated (`PORTAL_CAPTCHA_HOSTNAMES=portal.example.test,www.portal.example.test`), each item trimmed."""
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is tuple:
        items = tuple(item.strip() for item in raw.split(",") if item.strip())
        bad = [item for item in items if not valid_host(item)]
        if bad:
            raise PortalConfigError(f"{key}={raw!r} ({source}): {bad[0]!r} is not a host name or an IP address")
        return items
    try:
        value = TypeAdapter(annotation).validate_python(raw.strip() if annotation is not str else raw)
    except ValidationError:
        expected = {bool: "true or false", int: "an integer", float: "a number"}.get(annotation, "a value")
        raise PortalConfigError(f"{key}={raw!r} ({source}) is not {expected}") from None
    return value.expanduser() if isinstance(value, Path) else value


def _trusted_chain(raw: str, source: str) -> bytes:
    path = Path(raw).expanduser()
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise PortalConfigError(f"{TRUSTED_CA_FILE}={raw!r} ({source}): cannot be read ({error.strerror})") from error
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise PortalConfigError(f"{TRUSTED_CA_FILE}={raw!r} ({source}): holds no PEM certificate")
    return pem


SECRET_KEYS = ("secret_key", "otp_key")  # keys that sign or hash: at least MIN_SECRET_BYTES of randomness
MIN_SECRET_BYTES = 32


def _secret(key: str, raw: str, source: str) -> str:
    """A signing key as given, if it can be one: 32 bytes or more, and not one character repeated or a short run
    of them (a password-like word pads to 32 bytes but guesses in seconds). `os.urandom(32).hex()` passes."""
    if len(raw.encode()) < MIN_SECRET_BYTES or len(set(raw)) < 8:
        raise PortalConfigError(
            f"{key} ({source}) is not a key of {MIN_SECRET_BYTES} random bytes: generate one with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    return raw


def load(
    environ: Mapping[str, str] | None = None, *, file: Path | None = None, listen: str | None = None
) -> Deployment:
    """The deployment from `file` (if any) overridden by `environ` (default: os.environ), bound to `listen` when
    given (`--listen`): every check on the address is made on the one it binds."""
    environ = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    values: dict[str, str] = {}
    if file is not None:
        for key, value in read_file(file).items():
            values[key], sources[key] = value, str(file)
    for key, value in environ.items():
        if key.startswith(PREFIX):
            values[key], sources[key] = value, "environment"
    hints = get_type_hints(PortalSettings)
    by_key = {key_of(f.name): f.name for f in fields(PortalSettings)}
    known = {*by_key, *INFORMATIONAL, LISTEN, PORT}
    for key in values:
        if key not in known:
            raise PortalConfigError(f"unknown key {key} ({sources[key]}); known: {', '.join(sorted(known))}")
    missing = [key_of(name) for name in SYSTEMS if not values.get(key_of(name), "").strip()]
    if missing:
        details = "; ".join(f"{key} ({SYSTEMS[by_key[key]]})" for key in missing)
        raise PortalConfigError(f"missing {details}")
    chosen: dict[str, Any] = {"db_path": Path("portal.sqlite3"), "secret_key": os.urandom(32).hex()}
    for key, raw in values.items():
        name = by_key.get(key)
        if name is None:
            continue
        if name == "trusted_ca_pem":
            chosen[name] = _trusted_chain(raw, sources[key])
        elif name in URL_FIELDS:
            chosen[name] = _url(key, raw, sources[key])
        elif name == "secret_key" or (name in SECRET_KEYS and raw):
            chosen[name] = _secret(key, raw, sources[key])
        else:
            chosen[name] = _coerce(key, raw, hints[name], sources[key])
    listen = listen or values.get(LISTEN, "127.0.0.1").strip() or "127.0.0.1"
    port = _coerce(PORT, values.get(PORT, "0"), int, sources.get(PORT, "default"))
    settings = PortalSettings(**chosen)
    if settings.twin_controls and not settings.twin_token and not is_loopback(listen):
        raise PortalConfigError(
            f"PORTAL_TWIN_CONTROLS on {listen} (beyond loopback) needs PORTAL_TWIN_TOKEN: the clock must not be open"
        )
    return Deployment(settings, listen, port)


_HOST = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
)


def _url(key: str, raw: str, source: str) -> str:
    """An http(s) URL whose host is a host name or an IP address (a space, an `@` or a bracket in it are refused)."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  # ValueError when the port is not a number or out of range
    except ValueError as error:
        raise PortalConfigError(f"{key}={raw!r} ({source}) is not a URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise PortalConfigError(f"{key}={raw!r} ({source}) must start with http:// or https://")
    if not valid_host(parts.hostname or ""):
        raise PortalConfigError(f"{key}={raw!r} ({source}) names no valid host")
    return raw


def valid_host(host: str) -> bool:
    """Whether `host` is an IP address or a DNS name of letters, digits, hyphens (and underscores) between dots."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(host) and len(host) <= 253 and _HOST.fullmatch(host.rstrip(".")) is not None


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or name) only reaches this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
