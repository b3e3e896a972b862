"""The certifier's own relying party (harness/certify/oracle.py) and the page source it serves, on the test PKI.

Certificates come from the card simulator's test CA, with its OCSP responder and CRL served on loopback; each check
is shown to turn down what it must (a signature over other bytes, another CA, an expired or revoked certificate,
another holder, a status nobody can give) and to find revocation in the CRL when OCSP is out of reach.
"""

from __future__ import annotations

import base64
import hashlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from harness.certify import oracle
from harness.certify.pinned import PAGE, PINS
from harness.certify.suite.portal import PageError, PortalStandIn, page_source
from simulators.card import KeyPool, TestPki, revocation
from simulators.card.pki import CitizenCertificates
from simulators.serving import RunningServer

ID_NUMBER = "A123456789"
NONCE = "a nonce of the portal's"


@dataclass(frozen=True)
class Ca:
    """The test CA, its revocation service, and a URL where nothing answers."""

    pki: TestPki
    url: str
    nowhere: str


@pytest.fixture(scope="module")
def ca() -> Iterator[Ca]:
    pool = KeyPool()
    pki = TestPki(pool)
    server = RunningServer(revocation.create_app(pki), name="ocsp", host="127.0.0.1", port=0, timeout=30)
    with socket.create_server(("127.0.0.1", 0)) as closed:
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    try:
        yield Ca(pki, server.url, nowhere)
    finally:
        server.stop()
        pool.close()


def issue(ca: Ca, *, ocsp: str = "", crl: str = "", **validity: datetime) -> CitizenCertificates:
    """A citizen's certificates whose AIA and CRL distribution point name `ocsp` and `crl` (default: the service)."""
    ca.pki.ocsp_url, ca.pki.crl_url = ocsp or ca.url + "/ocsp", crl or ca.url + "/crl"
    return ca.pki.issue("王小明", ID_NUMBER, seed=len(ca.pki.issued) + 1, **validity)


def signed(card: CitizenCertificates, nonce: str = NONCE) -> tuple[str, str]:
    """What the agent hands back: the signature over `nonce` and the certificate, base64."""
    signature = card.sign_key.sign(nonce.encode(), padding.PKCS1v15(), hashes.SHA256())
    der = card.sign_cert.public_bytes(serialization.Encoding.DER)
    return base64.b64encode(signature).decode(), base64.b64encode(der).decode()


def judged(ca: Ca, card: CitizenCertificates, *, id_number: str = ID_NUMBER, chain: bytes | None = None) -> str:
    """The relying party's answer: "" when accepted, else what the citizen reads."""
    signature, cert_b64 = signed(card)
    try:
        cert = oracle.check_signature(NONCE, signature, cert_b64)
        oracle.check_card(cert, id_number=id_number, chain_pem=chain or ca.pki.chain_pem(), timeout=5)
    except oracle.Rejected as rejected:
        return str(rejected)
    return ""


def test_a_good_card_is_accepted_and_a_signature_over_other_bytes_is_not(ca: Ca) -> None:
    card = issue(ca)
    assert judged(ca, card) == ""
    signature, cert_b64 = signed(card, nonce="another nonce")
    with pytest.raises(oracle.Rejected, match=oracle.BAD_SIGNATURE):
        oracle.check_signature(NONCE, signature, cert_b64)
    with pytest.raises(oracle.Rejected, match=oracle.BAD_SIGNATURE):
        oracle.check_signature(NONCE, "", cert_b64)  # a refusal's empty field is no signature


def test_another_ca_another_holder_and_an_expired_card_are_turned_down(ca: Ca) -> None:
    pool = KeyPool(ready=2)
    try:
        stranger = TestPki(pool).chain_pem()
    finally:
        pool.close()
    assert judged(ca, issue(ca), chain=stranger) == oracle.NOT_MOICA
    assert judged(ca, issue(ca), id_number="B123456780") == oracle.OTHER_HOLDER
    past = datetime.now(UTC) - timedelta(days=400)
    expired = issue(ca, not_before=past, not_after=past + timedelta(days=30))
    assert judged(ca, expired) == oracle.EXPIRED


def test_revocation_from_ocsp_else_from_the_crl_else_no_answer(ca: Ca) -> None:
    revoked = issue(ca)
    ca.pki.revoke(revoked.sign_cert.serial_number)
    assert judged(ca, revoked) == oracle.REVOKED  # OCSP says so
    offline = issue(ca, ocsp=ca.nowhere + "/ocsp")
    assert judged(ca, offline) == ""  # the CRL says good
    ca.pki.revoke(offline.sign_cert.serial_number)
    assert judged(ca, offline) == oracle.REVOKED  # the CRL says revoked
    unknown = issue(ca, ocsp=ca.nowhere + "/ocsp", crl=ca.nowhere + "/crl")
    assert judged(ca, unknown) == oracle.UNKNOWN_STATUS


def test_the_pinned_page_or_the_deployed_script_is_what_the_browser_gets(ca: Ca) -> None:
    pinned = page_source(None)
    assert pinned.script == (PAGE / "agent.js").read_bytes()
    assert pinned.described["sha256"] == PINS
    standin = PortalStandIn("http://127.0.0.1:61161", pinned)
    assert 'data-agent-url="http://127.0.0.1:61161"' in standin.render("gold_verify.html")
    assert "__AGENT" not in standin.render("gold_verify.html") + standin.render("gold.html")
    deployed = page_source(ca.url + "/crl")  # any URL answering bytes stands for a deployed agent.js
    assert deployed.script
    assert deployed.script != pinned.script
    assert deployed.described["script_sha256"] == hashlib.sha256(deployed.script).hexdigest()
    assert PortalStandIn("http://127.0.0.1:61161", deployed).static("agent.js").body == deployed.script
    with pytest.raises(PageError, match="could not be fetched"):
        page_source(ca.nowhere + "/static/agent.js")
