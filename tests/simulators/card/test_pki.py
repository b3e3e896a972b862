"""The test PKI: MOICA's certificate profile, a chain to the test root, and OCSP / CRL answers over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtensionOID, NameOID

from simulators._serving import serve_asgi
from simulators.card import RevocationFault, revocation
from simulators.card.der import LAST4_ID, SUBJECT_DIRECTORY_ATTRIBUTES, read_subject_directory_attributes
from simulators.card.pki import CitizenCertificates, TestPki
from tests.simulators.card.conftest import ID_NUMBER


def test_citizen_certificate_profile(certificates: CitizenCertificates) -> None:
    cert = certificates.sign_cert
    assert cert.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.11"
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.COUNTRY_NAME] == "TW"
    assert subject[NameOID.COMMON_NAME] == "王小明"
    assert len(str(subject[NameOID.SERIAL_NUMBER])) == 16
    sda = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(SUBJECT_DIRECTORY_ATTRIBUTES))
    assert read_subject_directory_attributes(sda.value.value) == {LAST4_ID: ID_NUMBER[-4:]}  # type: ignore[attr-defined]
    aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert [d.access_location.value for d in aia] == ["http://127.0.0.1:9/ocsp"]  # type: ignore[attr-defined]
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 5 * 365 - 1 <= lifetime.days <= 5 * 365 + 1
    enc = certificates.enc_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert enc.key_encipherment
    assert enc.data_encipherment
    assert not enc.digital_signature


def test_chain_reaches_the_test_root_and_never_the_real_one(pki: TestPki, certificates: CitizenCertificates) -> None:
    certificates.sign_cert.verify_directly_issued_by(pki.ca_cert)
    pki.ca_cert.verify_directly_issued_by(pki.root_cert)
    pki.root_cert.verify_directly_issued_by(pki.root_cert)
    issuer = {a.oid: a.value for a in pki.ca_cert.subject}
    assert issuer[NameOID.ORGANIZATION_NAME] == "行政院"
    assert issuer[NameOID.ORGANIZATIONAL_UNIT_NAME] == "內政部憑證管理中心"
    assert "TEST ONLY" in str(issuer[NameOID.COMMON_NAME])
    assert "TEST ONLY" in pki.root_cert.subject.rfc4514_string()


@pytest.fixture
def responder(pki: TestPki) -> Iterator[str]:
    pki.reset()
    with serve_asgi(revocation.create_app(pki), name="ocsp") as url:
        yield url


def _ask(url: str, cert: x509.Certificate, issuer: x509.Certificate) -> ocsp.OCSPResponse:
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    reply = requests.post(url + "/ocsp", data=request.public_bytes(serialization.Encoding.DER),
                          headers={"Content-Type": "application/ocsp-request"}, timeout=5)  # fmt: skip
    assert reply.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(reply.content)


def test_ocsp_good_revoked_unknown_and_crl(pki: TestPki, certificates: CitizenCertificates, responder: str) -> None:
    cert = certificates.sign_cert
    good = _ask(responder, cert, pki.ca_cert)
    assert good.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
    pki.revoke(cert.serial_number)
    assert _ask(responder, cert, pki.ca_cert).certificate_status is ocsp.OCSPCertStatus.REVOKED
    crl = x509.load_der_x509_crl(requests.get(responder + "/crl", timeout=5).content)
    assert crl.is_signature_valid(pki.ca_cert.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    pki.unrevoke(cert.serial_number)
    assert _ask(responder, cert, pki.ca_cert).certificate_status is ocsp.OCSPCertStatus.GOOD
    stranger = pki.root_cert  # not issued by the MOICA CA
    assert _ask(responder, stranger, pki.root_cert).certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_ocsp_response_is_signed_by_the_ca(pki: TestPki, certificates: CitizenCertificates, responder: str) -> None:
    answer = _ask(responder, certificates.sign_cert, pki.ca_cert)
    public = pki.ca_cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert answer.signature_hash_algorithm is not None
    public.verify(answer.signature, answer.tbs_response_bytes, padding.PKCS1v15(), answer.signature_hash_algorithm)


def test_ocsp_unavailable_fault_and_malformed_request(responder: str) -> None:
    unavailable = {"fault": RevocationFault.OCSP_UNAVAILABLE}
    requests.post(responder + "/_control/faults", json=unavailable, timeout=5).raise_for_status()
    assert requests.post(responder + "/ocsp", data=b"x", timeout=5).status_code == 503
    malformed = ocsp.load_der_ocsp_response(requests.post(responder + "/ocsp", data=b"x", timeout=5).content)
    assert malformed.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_expired_and_not_yet_valid_certificates(pki: TestPki) -> None:
    now = datetime.now(UTC)
    expired = pki.issue("李大同", "B123456780", seed=9, not_before=now - timedelta(days=2000),
                        not_after=now - timedelta(days=1))  # fmt: skip
    assert expired.sign_cert.not_valid_after_utc < now
    later = pki.issue("李大同", "B123456780", seed=9, not_before=now + timedelta(days=1))
    assert later.sign_cert.not_valid_before_utc > now
