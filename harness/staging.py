"""Staging as it is: HTTP basic auth in front of the portal, its TLS from a private CA, a proxy on the way
(docs/deployment.md#staging).

Every HTTP call of the harness (the HTTP walk of pages.flows.ByHttp, the 攻擊者 of pages.attacker, the checks of
harness.attach) is made with `requests`, which reads its trust store and credentials from the environment
(`trust_env`): so a run prepares them once, for this process and every child, in a private folder of its own:
- the credentials in a netrc file (`NETRC`) for the portal's host alone: requests sends them there and nowhere else
  (never to the stack, the captcha or the 安控元件);
- the CAs to trust (`REQUESTS_CA_BUNDLE`): certifi's public ones plus `ca_bundle`'s;
- a proxy from `HTTPS_PROXY` / `NO_PROXY`, which requests honours as it is.
Chromium gets the same: the credentials for the portal's origin only (Playwright's `http_credentials`), the CAs in
an NSS database of a private HOME (Chromium on Linux trusts what $HOME/.pki/nssdb holds; made with certutil, Debian's
libnss3-tools), and the proxy as Playwright's `proxy`. The credentials are secrets of the run: scrubbed out of every
artefact by value, as typed and as the `Authorization: Basic` header carries them.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests.utils
from playwright.sync_api import ProxySettings

from harness.settings import Settings, SettingsError
from simulators.lifetime import owned_tempdir

PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
NSS_DB = Path(".pki") / "nssdb"  # under HOME: where Chromium on Linux reads the CAs a user trusts
RUN_SECRETS: list[str] = []  # the credentials `prepare` found, in the forms artefacts may hold: scrubbed out of all


@dataclass(frozen=True, slots=True)
class Credentials:
    """The user name and password of the HTTP basic auth in front of the portal."""

    username: str
    password: str

    def secrets(self) -> tuple[str, ...]:
        """What must never stand in an artefact: the password, and the header value that carries it."""
        joined = f"{self.username}:{self.password}"
        return self.password, joined, base64.b64encode(joined.encode()).decode()


def credentials(settings: Settings) -> Credentials | None:
    """The basic-auth credentials (`basic_auth`, else the first line of `basic_auth_file`), `user:password`."""
    if settings.basic_auth is not None and settings.basic_auth_file is not None:
        raise SettingsError("basic_auth and basic_auth_file are both set: give one (TPCD_BASIC_AUTH_FILE is safer)")
    raw, source = settings.basic_auth, "basic_auth (TPCD_BASIC_AUTH)"
    if settings.basic_auth_file is not None:
        path, source = settings.path(settings.basic_auth_file), f"basic_auth_file {settings.basic_auth_file}"
        try:
            raw = next(iter(path.read_text(encoding="utf-8").splitlines()), "")
        except OSError as error:
            raise SettingsError(f"{source} cannot be read ({error.strerror or error})") from None
    if raw is None:
        return None
    username, colon, password = raw.strip().partition(":")
    if not colon or not username or not password:
        raise SettingsError(f"{source} must be user:password (the value itself is not shown)")
    return Credentials(username, password)


def ca_certificates(settings: Settings) -> list[bytes]:
    """The PEM certificates of `ca_bundle` (none when it is not set); SettingsError naming it otherwise."""
    if settings.ca_bundle is None:
        return []
    path = settings.path(settings.ca_bundle)
    try:
        found = PEM.findall(path.read_bytes())
    except OSError as error:
        raise SettingsError(f"ca_bundle {path} cannot be read ({error.strerror or error})") from None
    if not found:
        raise SettingsError(f"ca_bundle {path} holds no PEM certificate")
    return found


def proxy() -> ProxySettings | None:
    """Playwright's `proxy` from the environment's HTTPS_PROXY (or HTTP_PROXY) and NO_PROXY, as requests reads them."""
    names = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
    server = next((os.environ[name] for name in names if os.environ.get(name)), None)
    if server is None:
        return None
    bypass = os.environ.get("NO_PROXY") or os.environ.get("no_proxy")
    return ProxySettings(server=server, bypass=bypass) if bypass else ProxySettings(server=server)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a run set up for staging: its private folder (removed by `close`) and the variables it set."""

    folder: Path | None
    environ: dict[str, str]
    credentials: Credentials | None

    def close(self) -> None:
        for name, value in self.environ.items():
            if os.environ.get(name) == value:
                del os.environ[name]
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def prepare(settings: Settings) -> Prepared:
    """Credentials and CAs for every HTTP call of this process and its children (see the module's docstring)."""
    found, cas = credentials(settings), ca_certificates(settings)
    RUN_SECRETS[:] = found.secrets() if found is not None else ()
    if settings.base_url is None or (found is None and not cas):
        return Prepared(None, {}, found)
    folder = owned_tempdir("tpcd-staging-")
    environ: dict[str, str] = {}
    if found is not None:
        host = urlsplit(settings.base_url).hostname
        netrc = folder / "netrc"
        netrc.touch(mode=0o600)
        netrc.write_text(f"machine {host}\nlogin {found.username}\npassword {found.password}\n", encoding="utf-8")
        environ["NETRC"] = str(netrc)
    if cas:
        bundle = folder / "ca-bundle.pem"
        bundle.write_bytes(Path(requests.utils.DEFAULT_CA_BUNDLE_PATH).read_bytes() + b"\n" + b"\n".join(cas) + b"\n")
        environ["REQUESTS_CA_BUNDLE"] = str(bundle)
    os.environ.update(environ)
    return Prepared(folder, environ, found)


@contextmanager
def trusted(certificates: list[bytes]) -> Iterator[None]:
    """Every `requests` call of this process trusts `certificates` too while inside (a stack's own CA, which serves
    its protocol surfaces beyond loopback: docs/shared-stack.md#tls-beyond-loopback), on top of the bundle in force
    (a staging portal's, else certifi's); the bundle before is back on exit."""
    if not certificates:
        yield
        return
    before = os.environ.get("REQUESTS_CA_BUNDLE")
    folder = owned_tempdir("tpcd-trust-")
    bundle = folder / "ca-bundle.pem"
    base = Path(before or requests.utils.DEFAULT_CA_BUNDLE_PATH).read_bytes()
    bundle.write_bytes(base + b"\n" + b"\n".join(certificates) + b"\n")
    os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
    try:
        yield
    finally:
        if os.environ.get("REQUESTS_CA_BUNDLE") == str(bundle):
            if before is None:
                del os.environ["REQUESTS_CA_BUNDLE"]
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = before
        shutil.rmtree(folder, ignore_errors=True)


def nss_home(home: Path, certificates: list[bytes]) -> None:
    """An NSS database under `home` (Chromium's HOME) that trusts `certificates` to identify web sites."""
    database = home / NSS_DB
    database.mkdir(parents=True, exist_ok=True)
    where = f"sql:{database}"
    if shutil.which("certutil") is None:
        raise SettingsError("ca_bundle needs certutil for Chromium's trust store: run `make setup` (libnss3-tools)")
    subprocess.run(["certutil", "-N", "-d", where, "--empty-password"], check=True, capture_output=True)
    for number, pem in enumerate(certificates):
        file = home / f"ca-{number}.pem"
        file.write_bytes(pem + b"\n")
        add = ["certutil", "-A", "-d", where, "-n", f"tpcd-ca-{number}", "-t", "C,,", "-i", str(file)]
        subprocess.run(add, check=True, capture_output=True)
