"""What the conformance suite's tests and its conftest share: the certification card, the agent and card under test,
the portal's pages, and how an answer is checked (the fixtures are in conftest.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import allure
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.card import CardHolder
from domain.masking import mask_fields
from harness.certify.oracle import rsa_signed
from harness.certify.suite.portal import GoldPages, PortalStandIn
from simulators.card import CardFault
from simulators.card.client import CardControlClient
from simulators.card.models import CardState
from simulators.client import SimulatorError, wait_until

# The card the suite puts in a reader it controls: a test card of the test PKI, never a person's.
HOLDER = CardHolder("認證測試", "A123456789", "CERT000000000001", "123456", "12345678", seed=424242)
PIN_VARIABLE, TOKEN_VARIABLE = "CERTIFY_AGENT_PIN", "CERTIFY_CONTROL_TOKEN"  # secrets travel outside argv


SITE_DOMAIN = "certify.test"  # RFC 6761 reserved; Chromium maps *.certify.test to 127.0.0.1 for the page sites


class ToolError(Exception):
    """The suite itself could not do its part (control surface, browser, page server): reported as ERROR."""


class AgentFailure(AssertionError):
    """The agent's answer made the requirement fail in a way no assert named (reported as FAIL)."""


@dataclass(frozen=True, slots=True)
class Options:
    """What certify-agent was told."""

    agent_url: str
    control_url: str | None
    control_token: str | None
    reader: str | None
    pin: str | None  # the card's PIN when the suite does not control the card
    holder_id: str | None  # the card holder's 身分證字號 when the suite does not control the card
    chromium: str
    portal_page: str | None = None  # the deployed portal's agent script by URL (default: the pinned copy)


class Agent:
    """HTTP to the agent under test, recording each exchange (PIN masked) in the report; the suite's PIN guard."""

    def __init__(self, url: str, reader: str | None, pin: str | None) -> None:
        self.url, self.reader, self.pin = url, reader, pin
        self.http = requests.Session()
        self._wrong_pins_left = 0
        self.trusted_by_suite: dict[str, str] = {}  # hostname → an origin of it: sites the suite (maybe) made trusted

    def call(
        self,
        path: str,
        package: dict[str, Any] | None = None,
        *,
        origin: str | None = None,
        host: str | None = None,
        method: str = "POST",
        form: dict[str, str] | None = None,
    ) -> requests.Response:
        """One request as a page (with `origin`) or a native client would send it; `host` overrides Host."""
        if package is not None:
            self._guard(package.get("pin"))
            if self.reader and "slotDescription" not in package:
                package = {**package, "slotDescription": self.reader}
        headers = {name: value for name, value in (("Origin", origin), ("Host", host)) if value}
        data = {"tbsPackage": json.dumps(package)} if package is not None else form
        try:
            response = self.http.request(method, self.url + path, data=data, headers=headers, timeout=30)
        except requests.RequestException as error:
            raise AgentFailure(f"{method} {path}: the agent did not answer ({type(error).__name__})") from error
        allure.attach(
            json.dumps(
                {
                    "request": {"path": path, "origin": origin, "host": host, "package": mask_fields(package or {})},
                    "status": response.status_code,
                    "body": response.text[:2000],
                },
                ensure_ascii=False,
                indent=2,
            ),
            name=f"{method} {path}",
            attachment_type=allure.attachment_type.JSON,
        )
        return response

    def json(self, path: str, package: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer, whatever its HTTP status: a page reads the body either way (the status is AG-11's)."""
        response = self.call(path, package, **kwargs)
        try:
            body = response.json()
        except ValueError as error:
            raise AgentFailure(f"{path} answered something that is not JSON: {response.text[:200]!r}") from error
        assert isinstance(body, dict), f"{path} answered {type(body).__name__}, not a JSON object"
        return body

    def package(self, **fields: Any) -> dict[str, Any]:
        """A MakeSignature package with the card's own PIN when the suite knows it (and no PIN field otherwise)."""
        package: dict[str, Any] = {
            "func": "MakeSignature",
            "signatureType": "PKCS1",
            "tbs": "conformance",
            "tbsEncoding": "NONE",
            "hashAlgorithm": "SHA256",
            "withCardSN": "true",
            "nonce": "",
        }
        if self.pin is not None:
            package["pin"] = self.pin
        return {**package, **fields}

    def sign(self, **fields: Any) -> dict[str, Any]:
        """POST /sign as a native client."""
        return self.json("/sign", self.package(**fields))

    def _guard(self, pin: object) -> None:
        if pin is None or pin == "" or pin == self.pin:
            return
        if self._wrong_pins_left <= 0:
            raise ToolError("the suite tried to send a wrong PIN outside Agent.wrong_pins (a bug in the suite)")
        self._wrong_pins_left -= 1

    @contextmanager
    def wrong_pins(self, card: Card, count: int) -> Iterator[None]:
        """Allow `count` wrong PINs (any PIN but the card's), only on a card under control with that many tries left."""
        left = card.state().pin_tries
        if left is None or left < count:
            raise ToolError(f"refusing to send {count} wrong PINs to a card with {left} tries left")
        self._wrong_pins_left = count
        try:
            yield
        finally:
            self._wrong_pins_left = 0

    def may_trust(self, origin: str) -> None:
        """Note a site the suite is about to put on the trusted list (or try to): taken off again at the end."""
        self.trusted_by_suite.setdefault(urlparse(origin).hostname or origin, origin)

    def trusts(self, origin: str) -> bool:
        """Whether the agent takes calls from the site at `origin`: a /sign without PIN is refused with 0x76000031
        by a site check, else turned down for the missing PIN. Spends no try either way."""
        package = {key: value for key, value in self.package().items() if key != "pin"}
        return unsigned(self.json("/sign", package, origin=origin)["ret_code"]) != UNTRUSTED


UNTRUSTED = 0x76000031


def cards_listed(agent: Agent) -> list[dict[str, Any]]:
    """The tokens /pkcs11info?withcert=true lists (a slot without a card has none, or not an object)."""
    slots = agent.json("/pkcs11info?withcert=true")["slots"]
    return [
        slot["token"] for slot in slots if isinstance(slot.get("token"), dict) and slot["token"].get("serialNumber")
    ]


def card_seen(agent: Agent) -> None:
    """Wait until the agent lists the card just put in, as a person waits for the reader's light before signing: a
    reader on the vendor's machine reports a card on its own time, after the control surface has put it in."""
    try:
        wait_until(lambda: cards_listed(agent) or None, timeout=30, what="no card listed")
    except TimeoutError as error:
        raise AgentFailure("the agent listed no card within 30 s of the card going into the reader") from error


def carries(body: dict[str, Any], name: str) -> bool:
    """Whether an answer carries a value in field `name`: an empty one (`"signature": ""`, null) is none. What an
    answer means is its ret_code; empty fields beside a refusal are a client library's habit, not a signature."""
    return body.get(name) not in (None, "", [], {})


def unsigned(code: int) -> int:
    """A code as the vendor tables write it: HiPKI sends signed 32-bit numbers (docs/protocols/hipki-agent.md)."""
    return int(code) & 0xFFFFFFFF


class Card:
    """The card under control, through its control surface; any failure there is the suite's (ToolError)."""

    def __init__(self, client: CardControlClient) -> None:
        self.client = client
        self.dirty = True  # a test changed more than the PIN counter: start the next one from a new card

    def _do(self, what: str, action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except (SimulatorError, requests.RequestException) as error:
            raise ToolError(f"the card's control surface could not {what}: {error}") from error

    def state(self) -> CardState:
        state: CardState = self._do("report the card", self.client.state)
        return state

    def fresh(self) -> None:
        """The certification card in the plugged-in reader, PIN counter full, nothing revoked."""
        state = self.state()
        if self.dirty or not (state.plugged and state.inserted and state.card_number == HOLDER.card_number):
            self._do("reset the card", self.client.reset_card)
            self._do("insert the certification card", self.client.insert, HOLDER)
            self.dirty = False
        elif state.pin_tries != 3:
            self._do("reset the PIN counter", self.client.set_tries_left, 3)

    def remove(self) -> None:
        self.dirty = True
        self._do("pull the card out", self.client.remove)

    def insert(self) -> None:
        self._do("insert the certification card", self.client.insert, HOLDER)

    def arm(self, fault: CardFault) -> None:
        self.dirty = True
        self._do(f"arm {fault}", self.client.arm, fault)

    def plug(self, plugged: bool) -> bool:
        """Plug the reader in or out; False when the control surface cannot (the reader is not ours to unplug)."""
        self.dirty = True
        try:
            self.client.plug(plugged)
        except SimulatorError as error:
            if "→ 409" in str(error):
                return False
            raise ToolError(f"the card's control surface could not plug the reader: {error}") from error
        return True

    def chain_pem(self) -> bytes:
        chain: bytes = self._do("give the card's CA chain", self.client.chain_pem)
        return chain


@dataclass(frozen=True, slots=True)
class Portal:
    """The portal's pages for one requirement: where they are, whose card they expect, and the page object."""

    url: str
    id_number: str
    pages: GoldPages
    standin: PortalStandIn


WRONG_PIN = "000000" if HOLDER.pin != "000000" else "999999"


def certificate(certb64: str) -> x509.Certificate:
    """A certificate the agent sent, base64 DER."""
    return x509.load_der_x509_certificate(base64.b64decode(certb64))


def verifies(certb64: str, signature_b64: str, data: bytes) -> None:
    """Assert that `signature_b64` is an RSA PKCS#1 v1.5 SHA-256 signature of `data` by the key of `certb64`."""
    key = certificate(certb64).public_key()
    assert isinstance(key, rsa.RSAPublicKey), "the signing certificate holds no RSA key"
    signed = rsa_signed(key, base64.b64decode(signature_b64), data, hashes.SHA256())
    assert signed, "the signature does not verify with the certb64 key over SHA-256 of the data"


def codes(body: dict[str, Any]) -> tuple[int, int]:
    """ret_code and last_error, as the vendor tables write them."""
    return unsigned(body["ret_code"]), unsigned(body.get("last_error", 0))
