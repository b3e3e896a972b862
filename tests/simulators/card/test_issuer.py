"""Cards issued over HTTP by a stack's test CA: they chain to it, its OCSP knows them, and a run undoes only its own
revocations and faults (a stack several runs share)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp

from domain.card import CardHolder
from simulators.card import CardSlot, RevocationFault, revocation
from simulators.card.issuer import RemoteIssuer, issuer_router
from simulators.card.pki import TestPki
from simulators.client import SimulatorClient, SimulatorError
from simulators.control import BearerGate
from simulators.serving import serve_asgi
from tests.simulators.card.holder import ID_NUMBER

TOKEN = "issuer-token"


@dataclass(frozen=True)
class Served:
    url: str
    pki: TestPki


@pytest.fixture(scope="module")
def served(pki: TestPki) -> Iterator[Served]:
    app = revocation.create_app(pki)
    app.include_router(issuer_router(pki))
    with serve_asgi(BearerGate(app, token=TOKEN, public=("/ocsp", "/crl")), name="ocsp") as url:
        yield Served(url, pki)


def _status(served: Served, cert: x509.Certificate) -> str:
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, served.pki.ca_cert, hashes.SHA1()).build()
    body = request.public_bytes(serialization.Encoding.DER)
    reply = requests.post(served.url + "/ocsp", data=body, timeout=5)
    if reply.status_code != 200:
        return f"HTTP {reply.status_code}"
    return ocsp.load_der_ocsp_response(reply.content).certificate_status.name.lower()


def test_an_issued_card_chains_to_the_stacks_ca_and_its_keys_match(served: Served) -> None:
    with RemoteIssuer(served.url, token=TOKEN) as issuer:
        card = issuer.issue("林美華", ID_NUMBER, seed=11)
    card.sign_cert.verify_directly_issued_by(served.pki.ca_cert)
    signature = card.sign_key.sign(b"nonce", padding.PKCS1v15(), hashes.SHA256())
    public = card.sign_cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"nonce", padding.PKCS1v15(), hashes.SHA256())
    assert card.enc_key.public_key() == card.enc_cert.public_key()
    assert len(card.serial_number) == 16
    assert _status(served, card.sign_cert) == "good"


def test_a_validity_window_goes_through_for_expiry_scenarios(served: Served) -> None:
    end = datetime.now(UTC) - timedelta(days=1)
    with RemoteIssuer(served.url, token=TOKEN) as issuer:
        card = issuer.issue("林美華", ID_NUMBER, seed=12, not_before=end - timedelta(days=30), not_after=end)
    assert abs(card.sign_cert.not_valid_after_utc - end) < timedelta(seconds=1)


def test_a_run_undoes_only_its_own_revocations(served: Served) -> None:
    with RemoteIssuer(served.url, token=TOKEN) as mine, RemoteIssuer(served.url, token=TOKEN) as theirs:
        own, other = mine.issue("甲", ID_NUMBER, seed=21), theirs.issue("乙", ID_NUMBER, seed=22)
        mine.revoke(own.sign_cert.serial_number)
        theirs.revoke(other.sign_cert.serial_number)
        assert (_status(served, own.sign_cert), _status(served, other.sign_cert)) == ("revoked", "revoked")
        mine.reset()
        assert (_status(served, own.sign_cert), _status(served, other.sign_cert)) == ("good", "revoked")


def test_an_ocsp_outage_can_be_armed_for_one_certificate(served: Served) -> None:
    with RemoteIssuer(served.url, token=TOKEN) as issuer:
        one, two = issuer.issue("丙", ID_NUMBER, seed=31), issuer.issue("丁", ID_NUMBER, seed=32)
    with SimulatorClient(served.url, token=TOKEN, shared=True) as control:
        control.arm(RevocationFault.HTTP_503, match=f"{one.sign_cert.serial_number:x}", times=None)
        assert (_status(served, one.sign_cert), _status(served, two.sign_cert)) == ("HTTP 503", "good")
        control.disarm_armed()
        assert _status(served, one.sign_cert) == "good"


def test_a_card_slot_takes_its_certificates_from_a_remote_issuer(served: Served) -> None:
    with RemoteIssuer(served.url, token=TOKEN) as issuer:
        slot = CardSlot(None, issuer)  # the direct transport: no PC/SC needed to check where certificates come from
        try:
            slot.insert(CardHolder("陳大文", ID_NUMBER, "TPCD000000000042", "123456", "12345678", seed=41))
            assert slot.certificates is not None
            slot.certificates.sign_cert.verify_directly_issued_by(served.pki.ca_cert)
        finally:
            slot.close()


def test_issuing_is_a_control_behind_the_token(served: Served) -> None:
    with RemoteIssuer(served.url) as issuer, pytest.raises(SimulatorError, match="401"):
        issuer.issue("戊", ID_NUMBER, seed=51)
