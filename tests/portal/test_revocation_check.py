"""The portal's revocation check believes only answers it can trust: an OCSP answer signed by the CA (or the CA's
OCSP delegate), about the certificate asked, with our nonce, current; else the CA's own current CRL. The answers come
from the test CA's real responder (simulators/card/revocation.py) or are forged here with cryptography, the oracle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from portal.realname import RealNameError, _revocation
from simulators.card import RevocationFault
from simulators.card.pki import CitizenCertificates, KeyPool, TestPki
from simulators.card.revocation import LIES, OcspResponder
from simulators.faults import ArmedFault

OCSP_URL, CRL_URL = "http://ocsp.moica.test/ocsp", "http://ocsp.moica.test/crl"


@dataclass
class Ca:
    """The test CA, one of its citizens, and a second CA with the very same name (a forger's)."""

    pki: TestPki
    citizen: CitizenCertificates
    forger: TestPki


@pytest.fixture(scope="module")
def ca() -> Iterator[Ca]:
    pool = KeyPool()
    try:
        pki = TestPki(pool, ocsp_url=OCSP_URL, crl_url=CRL_URL)
        forger = TestPki(pool, ocsp_url=OCSP_URL, crl_url=CRL_URL)
        yield Ca(pki, pki.issue("林美玲", "A223456781", seed=901), forger)
    finally:
        pool.close()


@pytest.fixture
def revoked(ca: Ca) -> Iterator[x509.Certificate]:
    """The citizen's signing certificate, revoked at the CA for this test."""
    cert = ca.citizen.sign_cert
    ca.pki.revoke(cert.serial_number)
    try:
        yield cert
    finally:
        ca.pki.unrevoke(cert.serial_number)


def _crl_of(pki: TestPki) -> bytes:
    return pki.crl().public_bytes(serialization.Encoding.DER)


def _answer(
    request_der: bytes,
    *,
    signer: x509.Certificate,
    key: rsa.RSAPrivateKey,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    nonce: bytes | None = None,
    this_update: datetime | None = None,
    delegate: x509.Certificate | None = None,
) -> bytes:
    """An OCSP answer made with cryptography, saying whatever the test wants, signed by whoever it names."""
    request = ocsp.load_der_ocsp_request(request_der)
    when = this_update or datetime.now(UTC) - timedelta(minutes=1)
    revoked_at = when if status is ocsp.OCSPCertStatus.REVOKED else None
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(cert, issuer, hashes.SHA1(), status, when, when + timedelta(hours=1), revoked_at, None)
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
    )
    echoed = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce if nonce is None else nonce
    builder = builder.add_extension(x509.OCSPNonce(echoed), critical=False)
    if delegate is not None:
        builder = builder.certificates([delegate])
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


Reply = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]


def _serve(ocsp_reply: Reply | None, crl: bytes | None) -> None:
    if ocsp_reply is None:
        responses.add(responses.POST, OCSP_URL, body=requests.ConnectionError("down"))
    else:
        responses.add_callback(responses.POST, OCSP_URL, callback=ocsp_reply)
    if crl is None:
        responses.add(responses.GET, CRL_URL, body=requests.ConnectionError("down"))
    else:
        responses.add(responses.GET, CRL_URL, body=crl, content_type="application/pkix-crl")


def _replying(make: Callable[[bytes], bytes | None]) -> Reply:
    """A responses callback answering each OCSP request with what `make` makes of it."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        assert isinstance(request.body, bytes)
        answer = make(request.body)
        assert answer is not None
        return 200, {"Content-Type": "application/ocsp-response"}, answer

    return callback


@responses.activate
def test_the_cas_own_responder_is_believed(ca: Ca, revoked: x509.Certificate) -> None:
    responder = OcspResponder(ca.pki)
    _serve(_replying(responder.answer), crl=None)
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"


@responses.activate
def test_a_good_forged_by_another_key_under_the_cas_name_is_not_believed(ca: Ca, revoked: x509.Certificate) -> None:
    forged = _replying(
        partial(_answer, signer=ca.forger.ca_cert, key=ca.forger.ca_key, cert=revoked, issuer=ca.pki.ca_cert)
    )
    _serve(forged, crl=_crl_of(ca.pki))
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"  # from the CRL, not the forged 'good'
    _serve(forged, crl=None)
    with pytest.raises(RealNameError, match="無法確認"):
        _revocation(revoked, ca.pki.ca_cert, timeout=5)


@responses.activate
def test_a_good_about_another_certificate_or_with_another_nonce_is_not_believed(
    ca: Ca, revoked: x509.Certificate
) -> None:
    other = ca.pki.issue("王志強", "A123456789", seed=902).sign_cert
    about_other = _replying(
        partial(_answer, signer=ca.pki.ca_cert, key=ca.pki.ca_key, cert=other, issuer=ca.pki.ca_cert)
    )
    replayed = _replying(
        partial(
            _answer,
            signer=ca.pki.ca_cert,
            key=ca.pki.ca_key,
            cert=revoked,
            issuer=ca.pki.ca_cert,
            nonce=b"an old answer's nonce",
        )
    )
    for reply in (about_other, replayed):
        responses.reset()
        _serve(reply, crl=_crl_of(ca.pki))
        assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"


@responses.activate
def test_a_stale_good_is_not_believed(ca: Ca, revoked: x509.Certificate) -> None:
    last_week = datetime.now(UTC) - timedelta(days=7)
    stale = _replying(
        partial(
            _answer,
            signer=ca.pki.ca_cert,
            key=ca.pki.ca_key,
            cert=revoked,
            issuer=ca.pki.ca_cert,
            this_update=last_week,
        )
    )
    _serve(stale, crl=_crl_of(ca.pki))
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"


def _delegate(ca: Ca, *, usage: x509.ObjectIdentifier) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MOICA OCSP responder (test)")]))
        .issuer_name(ca.pki.ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .sign(ca.pki.ca_key, hashes.SHA256())
    )
    return cert, key


@responses.activate
def test_a_responder_the_ca_delegated_ocsp_signing_to_is_believed_another_is_not(
    ca: Ca, revoked: x509.Certificate
) -> None:
    delegate, key = _delegate(ca, usage=ExtendedKeyUsageOID.OCSP_SIGNING)
    says_revoked = _replying(
        partial(
            _answer,
            signer=delegate,
            key=key,
            cert=revoked,
            issuer=ca.pki.ca_cert,
            status=ocsp.OCSPCertStatus.REVOKED,
            delegate=delegate,
        )
    )
    _serve(says_revoked, crl=None)
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"

    responses.reset()
    tls_only, tls_key = _delegate(ca, usage=ExtendedKeyUsageOID.SERVER_AUTH)
    says_good = _replying(
        partial(_answer, signer=tls_only, key=tls_key, cert=revoked, issuer=ca.pki.ca_cert, delegate=tls_only)
    )
    _serve(says_good, crl=_crl_of(ca.pki))
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"


@responses.activate
def test_a_crl_signed_by_another_key_or_past_its_next_update_is_not_believed(ca: Ca, revoked: x509.Certificate) -> None:
    _serve(None, crl=_crl_of(ca.forger))  # the forger's CRL: same issuer name, nothing revoked
    with pytest.raises(RealNameError, match="無法確認"):
        _revocation(revoked, ca.pki.ca_cert, timeout=5)

    responses.reset()
    long_ago = datetime.now(UTC) - timedelta(days=30)
    stale = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.pki.ca_cert.subject)
        .last_update(long_ago)
        .next_update(long_ago + timedelta(days=1))
        .sign(ca.pki.ca_key, hashes.SHA256())
    )
    _serve(None, crl=stale.public_bytes(serialization.Encoding.DER))  # signed by the CA, but from before the revocation
    with pytest.raises(RealNameError, match="無法確認"):
        _revocation(revoked, ca.pki.ca_cert, timeout=5)


@responses.activate
@pytest.mark.parametrize("fault", sorted(LIES))
def test_each_lie_of_the_responder_is_distrusted_for_the_crl(
    ca: Ca, revoked: x509.Certificate, fault: RevocationFault
) -> None:
    responder = OcspResponder(ca.pki)
    responder.faults.arm(ArmedFault(fault, times=None))
    _serve(_replying(responder.answer), crl=_crl_of(ca.pki))
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"  # the CRL's word, not the lie's 'good'
    responses.reset()
    _serve(_replying(responder.answer), crl=None)
    with pytest.raises(RealNameError, match="無法確認"):
        _revocation(revoked, ca.pki.ca_cert, timeout=5)


@responses.activate
@pytest.mark.parametrize("fault", [RevocationFault.DELEGATED_BY_NAME, RevocationFault.DELEGATED_BY_KEY])
def test_the_responders_delegate_is_believed_without_a_crl(
    ca: Ca, revoked: x509.Certificate, fault: RevocationFault
) -> None:
    responder = OcspResponder(ca.pki)
    responder.faults.arm(ArmedFault(fault, times=None))
    _serve(_replying(responder.answer), crl=None)
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"
    assert _revocation(ca.pki.issue("李國華", "A123456789", seed=903).sign_cert, ca.pki.ca_cert, timeout=5) == "good"


@responses.activate
def test_a_delegates_answer_naming_another_key_is_not_believed(ca: Ca, revoked: x509.Certificate) -> None:
    responder = OcspResponder(ca.pki)
    responder.faults.arm(ArmedFault(RevocationFault.DELEGATED_MISNAMED, times=None))
    _serve(_replying(responder.answer), crl=None)
    with pytest.raises(RealNameError, match="無法確認"):
        _revocation(revoked, ca.pki.ca_cert, timeout=5)


@responses.activate
def test_an_ec_delegates_answer_is_not_checked_as_rsa_but_left_for_the_crl(ca: Ca, revoked: x509.Certificate) -> None:
    """MOICA signs with RSA, the one algorithm the portal checks: an authorized delegate's ECDSA answer (which openssl
    believes, tests/simulators/card/test_ocsp_responders.py) decides nothing, and does not crash the check."""
    responder = OcspResponder(ca.pki)
    responder.faults.arm(ArmedFault(RevocationFault.DELEGATED_EC, times=None))
    good = ca.pki.issue("李國華", "A123456789", seed=903).sign_cert
    _serve(_replying(responder.answer), crl=_crl_of(ca.pki))
    assert _revocation(revoked, ca.pki.ca_cert, timeout=5) == "revoked"  # the CRL's word
    responses.reset()
    _serve(_replying(responder.answer), crl=None)
    with pytest.raises(RealNameError, match="無法確認"):
        _revocation(good, ca.pki.ca_cert, timeout=5)  # its true 'good' is not taken either
