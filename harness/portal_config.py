"""What a portal is configured with to use a stack's simulators: the embedded twin's settings, and the file a
deployment reads (`tpcd up --portal-config dotenv|json`), built from one table so the two never differ.

The keys are the portal twin's own (`portal/config.py`: `PORTAL_<FIELD>`), so `python -m portal --config FILE` runs
the twin from the file as written; docs/deployment.md maps each to what a deployment calls it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from harness.simulator_table import settings_of
from portal.config import INFORMATIONAL, SYSTEMS, key_of
from simulators.captcha import CaptchaSettings
from simulators.netizen import NetizenSettings
from simulators.sms import SmsSettings

FORMATS = {"dotenv": "portal.env", "json": "portal.json"}
CHAIN_FILE = "moica-test-chain.pem"
CAPTCHA_CA_FILE = "captcha-ca.pem"  # for a deployment whose reCAPTCHA client hard-codes https (docs/deployment.md)
DOTENV_HEADER = (
    "# What a 臺北卡3.0 portal deployment must be configured with to use this tpcd stack.",
    "# Written by `tpcd up --portal-config dotenv`; `python -m portal --config <this file>` reads it as it is.",
)


def systems(urls: dict[str, str], *, agent_url: str, chain: bytes) -> dict[str, Any]:
    """PortalSettings field → value for every system the portal calls, pointed at the stack's `urls`."""
    sms, captcha, netizen = settings_of(SmsSettings), settings_of(CaptchaSettings), settings_of(NetizenSettings)
    smtp = urlparse(urls["mail_smtp"])
    values: dict[str, Any] = {
        "sms_gateway_url": urls["sms"] + "/api/mtk/SmSend",
        "sms_username": sms.username,
        "sms_password": sms.password,
        "smtp_host": smtp.hostname,
        "smtp_port": smtp.port,
        "captcha_script_url": urls["captcha"] + "/recaptcha/api.js",
        "captcha_verify_url": urls["captcha"] + "/recaptcha/api/siteverify",
        "captcha_site_key": captcha.site_key,
        "captcha_secret": captcha.secret,
        "netizen_url": urls["netizen"],
        "netizen_client_id": netizen.client_id,
        "netizen_client_secret": netizen.client_secret,
        "registry_url": urls["registry"],
        "agent_url": agent_url,
        "trusted_ca_pem": chain,
    }
    assert values.keys() == SYSTEMS.keys(), "portal.config.SYSTEMS and this table must name the same fields"
    return values


def deployment_entries(urls: dict[str, str], *, agent_url: str, chain_file: Path) -> dict[str, str]:
    """PORTAL_* key → value: what a deployment is configured with (the chain as a file beside the configuration)."""
    entries = {
        key_of(name): str(value)
        for name, value in systems(urls, agent_url=agent_url, chain=b"").items()
        if name != "trusted_ca_pem"
    }
    entries[key_of("trusted_ca_pem")] = str(chain_file)
    informational = {"PORTAL_OCSP_URL": urls["ocsp"] + "/ocsp", "PORTAL_CRL_URL": urls["ocsp"] + "/crl"}
    assert informational.keys() == INFORMATIONAL.keys()
    return entries | informational


def write_private(path: Path, text: str) -> Path:
    """Write `text` to `path` readable by its owner alone (0600), also when the file was there before with other bits:
    the one writer of every secret a stack leaves on disk (its token, portal.env, `tpcd card`'s token)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as written:
        os.fchmod(written.fileno(), 0o600)
        written.write(text)
    return path.resolve()


def write_pem(directory: Path, name: str, pem: bytes) -> Path:
    """Certificates (PEM) a deployment must trust, as `name` in `directory`: CHAIN_FILE, the test MOICA chain the
    portal checks citizen certificates against; CAPTCHA_CA_FILE, the CA of the reCAPTCHA simulator's HTTPS port."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    target.write_bytes(pem)
    return target.resolve()


def write(directory: Path, fmt: str, entries: dict[str, str]) -> Path:
    """Write the configuration `entries` as `fmt` (dotenv or json) in `directory`, 0600 (it holds the SMS password
    and the OAuth secret); return the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FORMATS[fmt]
    if fmt == "json":
        return write_private(target, json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    lines = list(DOTENV_HEADER)
    for key, value in entries.items():
        if not value or any(c in value for c in "\n\"'# "):
            raise ValueError(f"{key}={value!r} cannot be written to a dotenv file as is")
        lines.append(f"{key}={value}")
    return write_private(target, "\n".join(lines) + "\n")
