"""The CRL as relying parties fetch and check it: `openssl crl` and `cryptography` against RFC 5280 §5 (and the CRL
faults, against §6.3.3)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from simulators.card import RevocationFault, revocation
from simulators.card.pki import CitizenCertificates, TestPki
from simulators.control import CONTROL_HEADER
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


def openssl_crl(der: bytes, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`openssl crl` over the DER CRL: with `-text` it prints it, with `-CAfile` it checks its signature."""
    (tmp_path / "crl.der").write_bytes(der)
    command = ["openssl", "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"), "-noout", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("fault", "trusted_by_openssl"),
    [
        (RevocationFault.CRL_SIGNED_BY_STRANGER, False),  # MOICA's name, another key: the signature fails
        (RevocationFault.CRL_OTHER_ISSUER, False),  # another issuer's name: no CA certificate of that name
        (RevocationFault.CRL_STALE, True),  # the CA's own, but nextUpdate is past (openssl crl does not judge that)
    ],
)
def test_each_untrusted_crl_lists_nothing_and_fails_a_relying_partys_check(
    repository: str,
    pki: TestPki,
    certificates: CitizenCertificates,
    tmp_path: Path,
    fault: RevocationFault,
    trusted_by_openssl: bool,
) -> None:
    pki.revoke(certificates.sign_cert.serial_number)
    armed = {"fault": fault.value, "match": f"{certificates.sign_cert.serial_number:x}", "times": 1}
    requests.post(
        repository + "/_control/faults", json=armed, headers={CONTROL_HEADER: "1"}, timeout=5
    ).raise_for_status()
    der = fetch(repository)
    printed = openssl_crl(der, tmp_path, "-text")
    assert "No Revoked Certificates" in printed.stdout, printed.stdout
    (tmp_path / "chain.pem").write_bytes(pki.chain_pem())
    checked = openssl_crl(der, tmp_path, "-CAfile", str(tmp_path / "chain.pem"))
    assert ("verify OK" in checked.stderr) is trusted_by_openssl, checked.stderr
    crl = x509.load_der_x509_crl(der)
    assert crl.get_revoked_certificate_by_serial_number(certificates.sign_cert.serial_number) is None
    ca_key = pki.ca_cert.public_key()
    assert isinstance(ca_key, rsa.RSAPublicKey)
    assert crl.is_signature_valid(ca_key) is (fault is not RevocationFault.CRL_SIGNED_BY_STRANGER)
    assert (crl.issuer == pki.ca_cert.subject) is (fault is not RevocationFault.CRL_OTHER_ISSUER)
    assert crl.next_update_utc is not None
    assert (crl.next_update_utc < datetime.now(UTC)) is (fault is RevocationFault.CRL_STALE)
    honest = x509.load_der_x509_crl(fetch(repository))  # the fault was for one fetch: the CA's own CRL is back
    assert honest.get_revoked_certificate_by_serial_number(certificates.sign_cert.serial_number) is not None
