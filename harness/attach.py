"""A running stack as a file: what `tpcd up --json` prints, and what `tpcd run --stack` reads back and checks.

Attaching checks everything it can before a browser starts, and fails with one line naming what is wrong: a stack
that cannot be read or does not answer, a JSON without a service, a missing or refused token, a base URL that is not
the portal. Nothing runs against a target the person did not mean.

The stack file is untrusted input (docs/shared-stack.md): anyone who can edit it or answer for its URL would
otherwise choose where the token goes. So the token goes only to hosts its owner configured (loopback; the host the
stack was fetched from; the hosts of a local stack file only its owner can write; `stack_hosts`), only over TLS
beyond loopback (unless `plain_http_stack`), a `token_file` is read only for a local stack file and only inside its
folder, and a stack is fetched over plain HTTP from beyond loopback only when `plain_http_stack` allows it. All of
it is checked by `read_stack`, before any request carries the token. The CA of the stack's HTTPS ports (`stack_ca`)
is read on the same terms as its token file: from a local stack file only its owner can write, inside its folder; a
stack fetched by URL is trusted through `ca_bundle` (TPCD_CA_BUNDLE) instead.
"""

from __future__ import annotations

import json
import os
import smtplib
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import requests

from harness import portal_config
from harness.settings import Settings
from harness.simulator_table import REMOTE
from simulators.captcha import CaptchaClient
from simulators.card import TestPki
from simulators.client import StackAuth
from simulators.standalone import is_loopback

SMTP = "mail_smtp"
STACK_FILE, TOKEN_FILE, STACK_CA_FILE = "stack.json", "token", "stack-ca.pem"
REQUIRED = (*(service.name for service in REMOTE), SMTP)
"""The services an attached run needs from the stack: the portal calls every one of them."""
PORTAL_MARKER = "申請臺北卡"
"""The portal's home page shows this button (documented step 1, docs/design.md#contracts): its one public mark."""
_REASONS = ("Connection refused", "Name or service not known", "No route to host", "Network is unreachable")


class AttachError(Exception):
    """Why a run cannot attach, in one line."""


@dataclass(frozen=True, slots=True)
class AttachedStack:
    """The services of a stack already running, and the token its controls ask for (None: it is on loopback)."""

    source: str  # the file or URL it was read from, for messages
    urls: dict[str, str]  # service → URL, for the REQUIRED services
    token: str | None = None
    token_source: str = ""  # where the token came from, for messages
    portal: str | None = None  # the twin the stack serves itself (plain `tpcd up`), if it does
    ca_pem: bytes | None = None  # the CA of its HTTPS ports (bound beyond loopback), what this run trusts them by


class Published(Protocol):
    """What `publish` reads of a started stack (harness.stack.Stack), which reads stack files here: no import back."""

    settings: Settings
    urls: dict[str, str]
    token: str | None
    pki: TestPki | None
    pcsc_socket: str | None

    @property
    def ca_pem(self) -> bytes | None: ...


# StackFile's one-string fields
_PATHS = ("pcsc_socket", "token_file", "portal_config", "ca_chain", "captcha_ca", "stack_ca")


@dataclass(frozen=True, slots=True)
class StackFile:
    """`stack.json`, what `tpcd up --json` prints and `tpcd run --stack` reads: `publish` writes it and `read_stack`
    reads it, both through this one schema. Paths are as the writing machine sees them."""

    urls: dict[str, str]  # service → URL, each at the JSON's top level: every service written, the REQUIRED ones read
    pcsc_socket: str | None = None
    token_file: str | None = None  # the token's file (0600), never the token itself
    portal_config: str | None = None
    ca_chain: str | None = None
    captcha_ca: str | None = None  # what a client trusts to reach captcha_https
    stack_ca: str | None = None  # the CA of the HTTPS ports of a stack bound beyond loopback (None: plain HTTP)
    deployment: dict[str, str] = field(default_factory=dict)  # PORTAL_* key → value: what a deployment is set with
    citizen: dict[str, Any] = field(default_factory=dict)  # the demo citizen a person types in by hand
    portal: str | None = None  # read back: the twin the stack serves itself (plain `tpcd up`), written among `urls`

    def as_json(self) -> dict[str, Any]:
        """The JSON object, every service's URL beside the rest."""
        described: dict[str, Any] = dict(self.urls)
        for name in (*_PATHS, "deployment", "citizen"):
            described[name] = getattr(self, name)
        if self.portal is not None:
            described.setdefault("portal", self.portal)
        return described

    def write(self, directory: Path) -> Path:
        """STACK_FILE in `directory`."""
        path = directory / STACK_FILE
        path.write_text(json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def parse(cls, source: str, text: str) -> StackFile:
        """The stack file `source` holds as `text`, the URLs of the REQUIRED services checked (AttachError if not)."""
        try:
            described = json.loads(text)
        except json.JSONDecodeError as error:
            raise AttachError(f"stack {source}: not JSON ({error.msg} at line {error.lineno})") from error
        if not isinstance(described, dict):
            raise AttachError(f"stack {source}: expected the JSON object `tpcd up --json` prints")
        urls: dict[str, str] = {}
        for name in REQUIRED:
            value = described.get(name)
            if not isinstance(value, str) or not value:
                raise AttachError(f"stack {source}: missing key {name!r} (the URL of its {name} service)")
            scheme = urlparse(value).scheme
            if scheme != ("smtp" if name == SMTP else "http") and not (name != SMTP and scheme == "https"):
                raise AttachError(
                    f"stack {source}: {name}={value!r} is not an {'smtp' if name == SMTP else 'http'} URL"
                )
            urls[name] = value.rstrip("/")
        texts = {name: value for name in _PATHS if isinstance(value := described.get(name), str) and value}
        deployment, citizen, portal = described.get("deployment"), described.get("citizen"), described.get("portal")
        return cls(
            urls,
            **texts,
            deployment=deployment if isinstance(deployment, dict) else {},
            citizen=citizen if isinstance(citizen, dict) else {},
            portal=portal if isinstance(portal, str) and portal else None,
        )


def publish(stack: Published, citizen: dict[str, Any]) -> dict[str, Any]:
    """Write what others need into the settings' stack_dir, and return the JSON `tpcd up --json` prints: every URL,
    the token file (0600; never the token itself), the deployment's configuration, the test MOICA chain and the CA of
    the reCAPTCHA simulator's HTTPS port."""
    settings = stack.settings
    directory = settings.path(settings.stack_dir).resolve()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # a folder that was there keeps the mode it had
    token_file = None
    if stack.token:
        token_file = portal_config.write_private(directory / TOKEN_FILE, stack.token + "\n")
    assert stack.pki is not None, "a stack that runs the simulators owns the test PKI"
    chain = portal_config.write_pem(directory, portal_config.CHAIN_FILE, stack.pki.chain_pem())
    with CaptchaClient(stack.urls["captcha"], token=stack.token) as captcha:
        captcha_ca = portal_config.write_pem(directory, portal_config.CAPTCHA_CA_FILE, captcha.ca_pem())
    stack_ca = portal_config.write_pem(directory, STACK_CA_FILE, stack.ca_pem) if stack.ca_pem else None
    agent_url = f"http://127.0.0.1:{settings.agent_public_port}"  # where a deployment's pages look for the agent
    entries = portal_config.deployment_entries(stack.urls, agent_url=agent_url, chain_file=chain)
    config = portal_config.write(directory, settings.portal_config, entries) if settings.portal_config else None
    stack_file = StackFile(
        dict(stack.urls),
        pcsc_socket=stack.pcsc_socket,
        token_file=str(token_file) if token_file else None,
        portal_config=str(config) if config else None,
        ca_chain=str(chain),
        captcha_ca=str(captcha_ca),
        stack_ca=str(stack_ca) if stack_ca else None,
        deployment=entries,
        citizen=citizen,
    )
    stack_file.write(directory)
    return stack_file.as_json()


def unpublish(settings: Settings, *, keep: bool = False) -> None:
    """Remove what stops being true when the stack stops: its token, its JSON, and the deployment's configuration
    (it holds the SMS password and the OAuth secret) unless `keep`."""
    directory = settings.path(settings.stack_dir)
    names = [TOKEN_FILE, STACK_FILE, STACK_CA_FILE] + ([] if keep else list(portal_config.FORMATS.values()))
    for name in names:
        (directory / name).unlink(missing_ok=True)


def _why(error: BaseException) -> str:
    text = str(error)
    known = next((reason for reason in _REASONS if reason in text), None)
    if known:
        return known.lower()
    return "timed out" if isinstance(error, requests.Timeout | TimeoutError) else type(error).__name__


def _is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


def _read_source(source: str, timeout: float, *, plain_http: bool) -> str:
    if _is_url(source):
        parsed = urlparse(source)
        if parsed.scheme == "http" and not is_loopback(parsed.hostname or "") and not plain_http:
            raise AttachError(
                f"stack {source}: fetched over plain HTTP from beyond loopback, anyone on the way could rewrite it: "
                "fetch it over https, copy the file, or allow it with plain_http_stack (TPCD_PLAIN_HTTP_STACK=1)"
            )
        try:
            response = requests.get(source, timeout=timeout)
        except requests.RequestException as error:
            raise AttachError(f"stack {source}: cannot be fetched ({_why(error)})") from error
        if response.status_code != 200:
            raise AttachError(f"stack {source}: answered HTTP {response.status_code}, not the stack's JSON")
        return response.text
    try:
        return Path(source).expanduser().read_text(encoding="utf-8")
    except OSError as error:
        raise AttachError(f"stack {source}: cannot be read ({error.strerror or error})") from error


def _token(source: str, named: str | None, token: str | None, token_file: Path | None) -> tuple[str | None, str]:
    """The token from TPCD_TOKEN, else TPCD_TOKEN_FILE, else the file a local stack's JSON names inside its own
    folder (a stack fetched by URL, or a path elsewhere, could make any one-line local file the token it sends)."""
    if token:
        return token.strip(), "TPCD_TOKEN"
    if token_file is not None:
        try:
            return token_file.expanduser().read_text(encoding="utf-8").strip(), str(token_file)
        except OSError as error:
            raise AttachError(f"token file {token_file}: cannot be read ({error.strerror or error})") from error
    if named is None:
        return None, ""
    ask = f"set TPCD_TOKEN, or TPCD_TOKEN_FILE to a copy of {named} (written by `tpcd up` on the stack's machine)"
    if _is_url(source):
        raise AttachError(f"stack {source} asks for its token, which is never read from a file a URL names: {ask}")
    folder = Path(source).expanduser().resolve().parent
    path = (folder / Path(named).expanduser()).resolve()
    if not path.is_relative_to(folder):
        raise AttachError(f"stack {source} asks for its token from {named}, outside the stack's folder: {ask}")
    try:
        return path.read_text(encoding="utf-8").strip(), str(path)
    except OSError as error:
        raise AttachError(f"stack {source} asks for its token: {ask}") from error


def _owned_by_us(source: str) -> bool:
    """Whether a local stack file was written by whoever runs this and nobody else can change it (nor its folder)."""
    path = Path(source).expanduser().resolve()
    try:
        for status in (path.stat(), path.parent.stat()):
            if status.st_uid != os.geteuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
    except OSError:
        return False
    return True


def _check_token_targets(source: str, urls: dict[str, str], hosts: tuple[str, ...], *, plain_http: bool) -> None:
    """Refuse, before the token leaves, a service on a host its owner did not configure, or beyond loopback over
    plain HTTP (SMTP carries no token)."""
    allowed = {host.strip().lower().strip("[]") for host in hosts if host.strip()}
    if _is_url(source):
        allowed.add((urlparse(source).hostname or "").lower())
    elif _owned_by_us(source):
        allowed |= {(urlparse(url).hostname or "").lower() for url in urls.values()}
    for name, url in urls.items():
        if name == SMTP:
            continue
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
        if is_loopback(host):
            continue
        if host not in allowed:
            raise AttachError(
                f"stack {source}: {name} is on {host}, a host the token was not configured for: the token goes only "
                "to the stack's own services (list its hosts in stack_hosts, TPCD_STACK_HOSTS, if they are)"
            )
        if parsed.scheme != "https" and not plain_http:
            raise AttachError(
                f"stack {source}: {name} at {url} is plain HTTP beyond loopback, where the token would travel in "
                "clear: serve it over https, or allow it on a closed network with plain_http_stack "
                "(TPCD_PLAIN_HTTP_STACK=1)"
            )


def attach_stack(settings: Settings) -> AttachedStack:
    """The stack the settings name, read and checked as `read_stack` does, with their token and host rules."""
    assert settings.stack is not None, "only an attached run reads a stack"
    hosts = settings.stack_hosts
    attached = read_stack(
        settings.stack,
        token=settings.token,
        token_file=settings.token_file,
        hosts=hosts,
        plain_http=settings.plain_http_stack,
    )
    if (
        settings.base_url is not None
        and attached.portal is not None
        and _same_server(settings.base_url, attached.portal)
    ):
        raise AttachError(
            f"base URL {settings.base_url} is the twin stack {attached.source} serves itself: its pages call that "
            "stack's own 安控元件, not this run's; run without --base-url and --stack, or deploy the twin apart "
            "(`tpcd up --portal-config dotenv`, docs/deployment.md)"
        )
    return attached


def _same_server(one: str, other: str) -> bool:
    """Whether two URLs reach the same server: the same scheme and port, and the same host (any loopback name)."""
    a, b = urlparse(one), urlparse(other)
    ports = {"http": 80, "https": 443}
    if a.scheme != b.scheme or (a.port or ports.get(a.scheme)) != (b.port or ports.get(b.scheme)):
        return False
    return a.hostname == b.hostname or (is_loopback(a.hostname or "") and is_loopback(b.hostname or ""))


def read_stack(
    source: str,
    *,
    token: str | None = None,
    token_file: Path | None = None,
    timeout: float = 5.0,
    hosts: tuple[str, ...] = (),
    plain_http: bool = False,
) -> AttachedStack:
    """The stack `source` (a file or an http(s) URL) describes, with its token; AttachError says what is wrong.
    `hosts`: where else its owner lets the token go; `plain_http`: over plain HTTP beyond loopback too."""
    stack_file = StackFile.parse(source, _read_source(source, timeout, plain_http=plain_http))
    _check_token_targets(source, stack_file.urls, hosts, plain_http=plain_http)
    found, where = _token(source, stack_file.token_file, token, token_file)
    ca_pem = _stack_ca(source, stack_file.stack_ca)
    return AttachedStack(source, stack_file.urls, found, where, stack_file.portal, ca_pem)


def _stack_ca(source: str, named: str | None) -> bytes | None:
    """The CA certificate of the stack's HTTPS ports, from the file a local stack file names inside its own folder,
    when only its owner can write them (whoever could would choose whom every call of this run trusts); a stack
    fetched by URL names none that is read: its CA comes with ca_bundle (TPCD_CA_BUNDLE)."""
    if named is None or _is_url(source):
        return None
    ask = f"or give a copy of {named} as ca_bundle (TPCD_CA_BUNDLE)"
    folder = Path(source).expanduser().resolve().parent
    path = (folder / Path(named).expanduser()).resolve()
    if not path.is_relative_to(folder) or not _owned_by_us(str(path)):
        where = "outside its folder or writable by others"
        raise AttachError(f"stack {source} names its CA {named}, {where}: keep it beside the stack file, {ask}")
    try:
        pem = path.read_bytes()
    except OSError as error:
        why = error.strerror or error
        raise AttachError(f"stack {source}: its CA {named} cannot be read ({why}): {ask}") from error
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise AttachError(f"stack {source}: its CA {named} holds no PEM certificate: {ask}")
    return pem


def probe_stack(stack: AttachedStack, *, timeout: float = 5.0) -> None:
    """Every service answers, and its controls accept the token (AttachError otherwise)."""
    auth = StackAuth(stack.token)  # never a staging portal's basic auth from netrc (harness/staging.py)
    for name, url in stack.urls.items():
        if name == SMTP:
            _probe_smtp(stack.source, url, timeout)
            continue
        try:
            response = requests.get(url + "/_control/faults", auth=auth, timeout=timeout)
        except requests.RequestException as error:
            raise AttachError(f"stack {stack.source}: {name} at {url} does not answer ({_why(error)})") from error
        if response.status_code == 401:
            if stack.token is None:
                raise AttachError(
                    f"stack {stack.source}: {name} asks for the stack's token: set TPCD_TOKEN or TPCD_TOKEN_FILE"
                )
            raise AttachError(f"stack {stack.source}: {name} refuses the token from {stack.token_source}")
        if response.status_code != 200:
            raise AttachError(
                f"stack {stack.source}: {name} at {url} answered HTTP {response.status_code}: not a tpcd simulator"
            )


def _probe_smtp(source: str, url: str, timeout: float) -> None:
    parsed = urlparse(url)
    try:
        with smtplib.SMTP(parsed.hostname or "", parsed.port or 25, timeout=timeout) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as error:
        raise AttachError(f"stack {source}: mail_smtp at {url} does not answer ({_why(error)})") from error


def probe_portal(base_url: str, *, timeout: float = 10.0) -> None:
    """`base_url` answers with the portal's home page (PORTAL_MARKER on it); AttachError otherwise."""
    try:
        response = requests.get(base_url, timeout=timeout)
    except requests.RequestException as error:
        raise AttachError(f"base URL {base_url}: does not answer ({_why(error)})") from error
    if response.status_code != 200:
        raise AttachError(f"base URL {base_url}: its home page answered HTTP {response.status_code}")
    if PORTAL_MARKER not in response.text:
        raise AttachError(
            f"base URL {base_url}: not the 臺北卡3.0 portal (its home page lacks 「{PORTAL_MARKER}」, step 1)"
        )
