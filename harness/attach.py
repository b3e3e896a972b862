"""A running stack as a file: what `tpcd up --json` prints, and what `tpcd run --stack` reads back and checks.

Attaching checks everything it can before a browser starts, and fails with one line naming what is wrong: a stack
that cannot be read or does not answer, a JSON without a service, a missing or refused token, a base URL that is not
the portal. Nothing runs against a target the person did not mean.
"""

from __future__ import annotations

import json
import os
import smtplib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests

from harness import portal_config
from harness.settings import Settings
from harness.simulators import REMOTE
from simulators.captcha import CaptchaClient

if TYPE_CHECKING:
    from harness.stack import Stack

SMTP = "mail_smtp"
STACK_FILE, TOKEN_FILE = "stack.json", "token"
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


def publish(stack: Stack, citizen: dict[str, Any]) -> dict[str, Any]:
    """Write what others need into the settings' stack_dir, and return the JSON `tpcd up --json` prints: every URL,
    the token file (0600; never the token itself), the deployment's configuration, the test MOICA chain and the CA of
    the reCAPTCHA simulator's HTTPS port."""
    settings = stack.settings
    directory = settings.path(settings.stack_dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    token_file = None
    if stack.token:
        token_file = directory / TOKEN_FILE
        descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as written:
            os.fchmod(written.fileno(), 0o600)  # also when the file was there before, with other bits
            written.write(stack.token + "\n")
    assert stack.pki is not None, "a stack that runs the simulators owns the test PKI"
    chain = portal_config.write_pem(directory, portal_config.CHAIN_FILE, stack.pki.chain_pem())
    with CaptchaClient(stack.urls["captcha"], token=stack.token) as captcha:
        captcha_ca = portal_config.write_pem(directory, portal_config.CAPTCHA_CA_FILE, captcha.ca_pem())
    agent_url = f"http://127.0.0.1:{settings.agent_public_port}"  # where a deployment's pages look for the agent
    entries = portal_config.deployment_entries(stack.urls, agent_url=agent_url, chain_file=chain)
    config = portal_config.write(directory, settings.portal_config, entries) if settings.portal_config else None
    described = {
        **stack.urls,
        "pcsc_socket": stack.pcsc_socket,
        "token_file": str(token_file) if token_file else None,
        "portal_config": str(config) if config else None,
        "ca_chain": str(chain),
        "captcha_ca": str(captcha_ca),  # what a client trusts to reach captcha_https
        "deployment": entries,  # PORTAL_* key → value: what a deployment is configured with
        "citizen": citizen,
    }
    (directory / STACK_FILE).write_text(json.dumps(described, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return described


def unpublish(settings: Settings) -> None:
    """Remove what stops being true when the stack stops: its token and its JSON (the configuration may be reused)."""
    directory = settings.path(settings.stack_dir)
    for name in (TOKEN_FILE, STACK_FILE):
        (directory / name).unlink(missing_ok=True)


def _why(error: BaseException) -> str:
    text = str(error)
    known = next((reason for reason in _REASONS if reason in text), None)
    if known:
        return known.lower()
    return "timed out" if isinstance(error, requests.Timeout | TimeoutError) else type(error).__name__


def _read_source(source: str, timeout: float) -> str:
    if urlparse(source).scheme in ("http", "https"):
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


def _token(
    source: str, described: dict[str, Any], token: str | None, token_file: Path | None
) -> tuple[str | None, str]:
    """The token from TPCD_TOKEN, else TPCD_TOKEN_FILE, else the file the stack's JSON names (same machine)."""
    if token:
        return token.strip(), "TPCD_TOKEN"
    named = described.get("token_file")
    path = token_file or (Path(named) if isinstance(named, str) else None)
    if path is None:
        return None, ""
    try:
        return path.expanduser().read_text(encoding="utf-8").strip(), str(path)
    except OSError as error:
        if token_file is not None:
            raise AttachError(f"token file {token_file}: cannot be read ({error.strerror or error})") from error
        raise AttachError(
            f"stack {source} asks for its token: set TPCD_TOKEN, or TPCD_TOKEN_FILE to a copy of {named} "
            "(written by `tpcd up` on the stack's machine)"
        ) from error


def read_stack(
    source: str, *, token: str | None = None, token_file: Path | None = None, timeout: float = 5.0
) -> AttachedStack:
    """The stack `source` (a file or an http(s) URL) describes, with its token; AttachError says what is wrong."""
    text = _read_source(source, timeout)
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
            raise AttachError(f"stack {source}: {name}={value!r} is not an {'smtp' if name == SMTP else 'http'} URL")
        urls[name] = value.rstrip("/")
    found, where = _token(source, described, token, token_file)
    return AttachedStack(source, urls, found, where)


def probe_stack(stack: AttachedStack, *, timeout: float = 5.0) -> None:
    """Every service answers, and its controls accept the token (AttachError otherwise)."""
    headers = {"Authorization": f"Bearer {stack.token}"} if stack.token else {}
    for name, url in stack.urls.items():
        if name == SMTP:
            _probe_smtp(stack.source, url, timeout)
            continue
        try:
            response = requests.get(url + "/_control/faults", headers=headers, timeout=timeout)
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
