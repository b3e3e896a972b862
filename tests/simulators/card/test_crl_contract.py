"""The CRL as relying parties fetch and check it: `openssl crl` and `cryptography` against RFC 5280 §5."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from simulators.card import revocation
from simulators.card.pki import CitizenCertificates, TestPki
from simulators.serving import serve_asgi


@pytest.fixture
def repository(pki: TestPki) -> Iterator[str]:
    pki.reset()
    with serve_asgi(revocation.create_app(pki), name="crl") as url:
        yield url


def fetch(url: str) -> bytes:
    reply = requests.get(url + "/crl", timeout=10)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/pkix-crl"  # RFC 2585 §4.2
    return reply.content


def number(der: bytes) -> int:
    return x509.load_der_x509_crl(der).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def test_openssl_reads_and_verifies_the_der_crl(
    repository: str, pki: TestPki, certificates: CitizenCertificates, tmp_path: Path
) -> None:
    pki.revoke(certificates.sign_cert.serial_number)
    (tmp_path / "crl.der").write_bytes(fetch(repository))
    (tmp_path / "chain.pem").write_bytes(pki.chain_pem())
    done = subprocess.run(
        [
            "openssl",
            "crl",
            "-inform",
            "DER",
            "-in",
            tmp_path / "crl.der",
            "-text",
            "-noout",
            "-CAfile",
            tmp_path / "chain.pem",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "verify OK" in done.stderr  # signed by the CA, which chains to the test root
    text = done.stdout
    assert "Version 2 (0x1)" in text
    assert "Next Update:" in text
    assert "X509v3 Authority Key Identifier" in text
    assert "X509v3 CRL Number" in text
    serial = f"{certificates.sign_cert.serial_number:X}"
    assert f"Serial Number: {'0' * (len(serial) % 2)}{serial}" in text  # openssl prints whole bytes
    assert "Key Compromise" in text


def test_the_mandatory_crl_fields(repository: str, pki: TestPki, certificates: CitizenCertificates) -> None:
    pki.revoke(certificates.sign_cert.serial_number, x509.ReasonFlags.certificate_hold)
    crl = x509.load_der_x509_crl(fetch(repository))
    assert crl.issuer == pki.ca_cert.subject  # RFC 5280 §5.1.2.3
    assert crl.is_signature_valid(pki.ca_cert.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc is not None  # §5.1.2.5: conforming issuers MUST include nextUpdate
    assert crl.next_update_utc > crl.last_update_utc
    authority = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value  # §5.2.1
    ski = pki.ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert authority.key_identifier == ski.digest
    assert number(crl.public_bytes(serialization.Encoding.DER)) >= 1  # §5.2.3
    entry = crl.get_revoked_certificate_by_serial_number(certificates.sign_cert.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.certificate_hold


def test_crl_number_increases_with_every_new_crl_and_never_goes_back(
    repository: str, pki: TestPki, certificates: CitizenCertificates
) -> None:
    first = fetch(repository)
    assert fetch(repository) == first  # nothing changed: the same CRL, byte for byte
    pki.revoke(certificates.sign_cert.serial_number)
    revoked = fetch(repository)
    assert number(revoked) > number(first)
    assert x509.load_der_x509_crl(revoked).get_revoked_certificate_by_serial_number(
        certificates.sign_cert.serial_number
    )
    pki.reset()  # 復用 for everyone: the certificate leaves the list, the number still goes up
    after = fetch(repository)
    assert number(after) > number(revoked)
    assert len(x509.load_der_x509_crl(after)) == 0
