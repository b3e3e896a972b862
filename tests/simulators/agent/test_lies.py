"""The hostile agent's lies (faults.Lie): each is a successful /sign answer that `cryptography`, as a relying party,
finds wrong in exactly the way its name says, while the honest answer passes the same checks."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.ocsp import OCSPCertStatus

from domain.card import CardHolder
from simulators.agent import AgentSettings, DirectTransport, Lie, SecurityAgent
from simulators.agent.hostile import NoIssuer
from simulators.agent.tokens import last4
from simulators.card import CardSlot, TestPki
from simulators.faults import ArmedFault

HOLDER = CardHolder("林小華", "B223456781", "TPCD000000000031", "135790", "24680135", seed=31)
TBS = "nonce-from-the-portal"


@pytest.fixture(scope="module")
def slot(pki: TestPki) -> Iterator[CardSlot]:
    slot = CardSlot(None, pki)
    slot.insert(HOLDER)
    try:
        yield slot
    finally:
        slot.close()


@pytest.fixture
def agent(slot: CardSlot, pki: TestPki) -> SecurityAgent:
    return SecurityAgent(AgentSettings(), DirectTransport(slot), issuer=pki)


def _sign(agent: SecurityAgent, tbs: str = TBS, lie: Lie | None = None) -> tuple[x509.Certificate, bytes]:
    if lie is not None:
        agent.faults.arm(ArmedFault(lie))
    answer: dict[str, Any] = agent.sign(
        {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": tbs, "pin": HOLDER.pin}
    )
    assert answer["ret_code"] == 0
    return x509.load_der_x509_certificate(base64.b64decode(answer["certb64"])), base64.b64decode(answer["signature"])


def _signs(cert: x509.Certificate, signature: bytes, data: bytes) -> bool:
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, InvalidSignature):
        return False
    return True


def _valid_now(cert: x509.Certificate) -> bool:
    return cert.not_valid_before_utc <= datetime.now(UTC) <= cert.not_valid_after_utc


def test_the_honest_answer_is_the_cards_signature_over_the_tbs(agent: SecurityAgent, pki: TestPki) -> None:
    cert, signature = _sign(agent)
    assert _signs(cert, signature, TBS.encode())
    assert _issued_by(cert, pki.ca_cert)
    assert _valid_now(cert)
    assert last4(cert) == HOLDER.id_number[-4:]


def test_a_signature_over_other_bytes_is_the_cards_but_not_over_the_tbs(agent: SecurityAgent, slot: CardSlot) -> None:
    cert, signature = _sign(agent, lie=Lie.SIGNATURE_OVER_OTHER_TBS)
    assert slot.certificates is not None
    assert cert == slot.certificates.sign_cert
    assert not _signs(cert, signature, TBS.encode())


def test_a_signature_by_another_key_names_the_cards_certificate(agent: SecurityAgent, slot: CardSlot) -> None:
    cert, signature = _sign(agent, lie=Lie.SIGNATURE_BY_OTHER_KEY)
    assert slot.certificates is not None
    assert cert == slot.certificates.sign_cert
    assert not _signs(cert, signature, TBS.encode())


@pytest.mark.parametrize(
    ("lie", "valid_now", "same_last4"),
    [
        (Lie.OTHER_CITIZENS_CERTIFICATE, True, False),
        (Lie.EXPIRED_CERTIFICATE, False, True),
        (Lie.NOT_YET_VALID_CERTIFICATE, False, True),
        (Lie.REVOKED_CERTIFICATE, True, True),
    ],
)
def test_another_card_of_the_same_ca_signs_properly(
    agent: SecurityAgent, pki: TestPki, lie: Lie, valid_now: bool, same_last4: bool
) -> None:
    cert, signature = _sign(agent, lie=lie)
    assert _signs(cert, signature, TBS.encode())
    assert _issued_by(cert, pki.ca_cert)
    assert _valid_now(cert) is valid_now
    assert (last4(cert) == HOLDER.id_number[-4:]) is same_last4
    revoked = pki.status(cert.serial_number)[0] is OCSPCertStatus.REVOKED
    assert revoked is (lie is Lie.REVOKED_CERTIFICATE)


def test_an_impostor_ca_carries_the_cas_name_but_not_its_key(agent: SecurityAgent, pki: TestPki) -> None:
    cert, signature = _sign(agent, lie=Lie.IMPOSTOR_CA_CERTIFICATE)
    assert cert.issuer == pki.ca_cert.subject
    assert not _issued_by(cert, pki.ca_cert)
    assert _signs(cert, signature, TBS.encode())
    assert last4(cert) == HOLDER.id_number[-4:]


def test_the_ec_key_certificate_carries_a_p256_key_whose_ecdsa_signature_verifies(agent: SecurityAgent) -> None:
    cert, signature = _sign(agent, lie=Lie.EC_KEY_CERTIFICATE)
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert isinstance(key.curve, ec.SECP256R1)
    key.verify(signature, TBS.encode(), ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature if not
    assert last4(cert) == HOLDER.id_number[-4:]


def test_the_other_ca_certificate_names_an_issuer_that_is_not_the_ca(agent: SecurityAgent, pki: TestPki) -> None:
    cert, signature = _sign(agent, lie=Lie.OTHER_CA_CERTIFICATE)
    assert cert.issuer != pki.ca_cert.subject
    assert cert.issuer not in (pki.ca_cert.subject, pki.root_cert.subject)
    assert _signs(cert, signature, TBS.encode())
    assert last4(cert) == HOLDER.id_number[-4:]


def test_the_replayed_answer_is_the_previous_one_whatever_the_new_tbs(agent: SecurityAgent) -> None:
    first = _sign(agent, "first nonce")
    again = _sign(agent, "second nonce", lie=Lie.REPLAYED_ANSWER)
    assert again == first
    assert not _signs(again[0], again[1], b"second nonce")


def test_a_lie_that_needs_the_ca_says_so_on_an_agent_without_one(slot: CardSlot) -> None:
    agent = SecurityAgent(AgentSettings(), DirectTransport(slot))
    agent.faults.arm(ArmedFault(Lie.EXPIRED_CERTIFICATE))
    with pytest.raises(NoIssuer, match="no issuer"):
        agent.sign({"func": "MakeSignature", "signatureType": "PKCS1", "tbs": TBS, "pin": HOLDER.pin})
