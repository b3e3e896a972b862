"""The test PKI: MOICA's certificate profile and a chain to the test root (OCSP and CRL: the *_contract tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from simulators.card.pki import CitizenCertificates, TestPki
from tests.simulators.card.holder import ID_NUMBER


def test_citizen_certificate_profile(certificates: CitizenCertificates) -> None:
    cert = certificates.sign_cert
    assert cert.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.11"
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.COUNTRY_NAME] == "TW"
    assert subject[NameOID.COMMON_NAME] == "王小明"
    assert len(str(subject[NameOID.SERIAL_NUMBER])) == 16
    sda = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("2.5.29.9")).value.value  # type: ignore[attr-defined]
    attributes = asn1_x509.SubjectDirectoryAttributes.load(sda)
    assert {a["type"].dotted: a["values"].native for a in attributes} == {"2.16.886.1.100.2.51": [ID_NUMBER[-4:]]}
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


def test_expired_and_not_yet_valid_certificates(pki: TestPki) -> None:
    now = datetime.now(UTC)
    expired = pki.issue(
        "李大同", "B123456780", seed=9, not_before=now - timedelta(days=2000), not_after=now - timedelta(days=1)
    )
    assert expired.sign_cert.not_valid_after_utc < now
    later = pki.issue("李大同", "B123456780", seed=9, not_before=now + timedelta(days=1))
    assert later.sign_cert.not_valid_before_utc > now
