"""The responder's delegated and lying answers as `openssl ocsp` and `cryptography` judge them (RFC 6960 §3.2,
§4.2.2.2): the delegates' answers verify and tell the truth (the EC delegate's certificate as `openssl x509` reads
it); every lie says "good" for a revoked certificate and fails a check a relying party makes; the CRL fault withholds
the CRL."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID

from simulators.card import RevocationFault, revocation
from simulators.card.pki import CitizenCertificates, TestPki
from simulators.control import CONTROL_HEADER
from simulators.serving import serve_asgi

PEM = serialization.Encoding.PEM


@pytest.fixture(scope="module")
def revoked(pki: TestPki) -> Iterator[CitizenCertificates]:
    """A citizen whose signing certificate the CA revoked: every lie below says it is good."""
    citizen = pki.issue("張雅婷", "F223456784", seed=303)
    pki.revoke(citizen.sign_cert.serial_number)
    try:
        yield citizen
    finally:
        pki.unrevoke(citizen.sign_cert.serial_number)


@pytest.fixture(scope="module")
def files(pki: TestPki, revoked: CitizenCertificates, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ocsp-lies")
    (folder / "ca.pem").write_bytes(pki.ca_cert.public_bytes(PEM))
    (folder / "chain.pem").write_bytes(pki.chain_pem())
    (folder / "revoked.pem").write_bytes(revoked.sign_cert.public_bytes(PEM))
    return folder


@pytest.fixture(scope="module")
def base(pki: TestPki) -> Iterator[str]:
    with serve_asgi(revocation.create_app(pki), name="ocsp") as url:
        yield url


def arm(base: str, fault: RevocationFault) -> None:
    requests.post(
        base + "/_control/faults", json={"fault": fault, "times": 1}, headers={CONTROL_HEADER: "1"}, timeout=5
    ).raise_for_status()


def openssl_says(base: str, files: Path, fault: RevocationFault) -> str:
    """What `openssl ocsp` (with a nonce, trusting the test chain) prints of the answer `fault` makes."""
    arm(base, fault)
    arguments = ["-issuer", files / "ca.pem", "-CAfile", files / "chain.pem", "-cert", files / "revoked.pem"]
    done = subprocess.run(
        ["openssl", "ocsp", *map(str, arguments), "-url", base + "/ocsp"], capture_output=True, text=True, timeout=30
    )
    return done.stdout + done.stderr


def answer(base: str, pki: TestPki, cert: x509.Certificate, fault: RevocationFault, nonce: bytes) -> ocsp.OCSPResponse:
    """The answer `fault` makes to a SHA-1 CertID request with `nonce`, parsed by cryptography."""
    arm(base, fault)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, pki.ca_cert, hashes.SHA1())
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    reply = requests.post(
        base + "/ocsp",
        data=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
        timeout=10,
    )
    assert reply.headers["content-type"] == "application/ocsp-response"
    parsed = ocsp.load_der_ocsp_response(reply.content)
    assert parsed.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    return parsed


def signed_by(answer: ocsp.OCSPResponse, key: x509.Certificate) -> bool:
    public = key.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert answer.signature_hash_algorithm is not None
    try:
        public.verify(answer.signature, answer.tbs_response_bytes, padding.PKCS1v15(), answer.signature_hash_algorithm)
    except InvalidSignature:
        return False
    return True


@pytest.mark.parametrize("fault", [RevocationFault.DELEGATED_BY_NAME, RevocationFault.DELEGATED_BY_KEY])
def test_the_delegate_answers_truly_and_verifies(
    base: str, files: Path, pki: TestPki, revoked: CitizenCertificates, fault: RevocationFault
) -> None:
    printed = openssl_says(base, files, fault)
    assert "Response verify OK" in printed, printed
    assert "revoked.pem: revoked" in printed, printed
    got = answer(base, pki, revoked.sign_cert, fault, b"n" * 16)
    (delegate,) = got.certificates
    delegate.verify_directly_issued_by(pki.ca_cert)
    assert ExtendedKeyUsageOID.OCSP_SIGNING in delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert signed_by(got, delegate)
    assert not signed_by(got, pki.ca_cert)
    if fault is RevocationFault.DELEGATED_BY_NAME:
        assert got.responder_name == delegate.subject
        assert got.responder_key_hash is None
    else:
        assert got.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(delegate.public_key()).digest
    assert got.certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_the_ec_delegate_is_the_cas_p256_ocsp_signer_and_answers_truly(
    base: str, files: Path, pki: TestPki, revoked: CitizenCertificates
) -> None:
    printed = openssl_says(base, files, RevocationFault.DELEGATED_EC)
    assert "Response verify OK" in printed, printed
    assert "revoked.pem: revoked" in printed, printed
    got = answer(base, pki, revoked.sign_cert, RevocationFault.DELEGATED_EC, b"e" * 16)
    (delegate,) = got.certificates
    (files / "ec-delegate.pem").write_bytes(delegate.public_bytes(PEM))
    text = subprocess.run(
        ["openssl", "x509", "-in", str(files / "ec-delegate.pem"), "-noout", "-text"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert "Public Key Algorithm: id-ecPublicKey" in text, text
    assert "NIST CURVE: P-256" in text, text
    assert "Signature Algorithm: sha256WithRSAEncryption" in text, text  # the CA's own signature over it
    assert "OCSP Signing" in text, text
    assert "OCSP No Check" in text, text
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(files / "chain.pem"), str(files / "ec-delegate.pem")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert verified.stdout.strip().endswith(": OK"), verified.stdout + verified.stderr
    assert isinstance(delegate.public_key(), ec.EllipticCurvePublicKey)
    assert got.responder_name == delegate.subject
    assert got.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert got.certificate_status is ocsp.OCSPCertStatus.REVOKED


@pytest.mark.parametrize(
    ("fault", "printed"),
    [
        (RevocationFault.GOOD_SIGNED_BY_STRANGER, "signature failure"),
        (RevocationFault.GOOD_BY_DELEGATE_WITHOUT_OCSP_SIGNING, "missing ocspsigning usage"),
        (RevocationFault.GOOD_BY_IMPOSTOR_DELEGATE, "certificate signature failure"),
        (RevocationFault.GOOD_ED25519, "wrong public key type"),
        (RevocationFault.GOOD_REPLAYED, "status expired"),
        (RevocationFault.GOOD_OTHER_NONCE, "Nonce Verify error"),
        (RevocationFault.GOOD_OTHER_SERIAL, "No Status found"),
        (RevocationFault.GOOD_OTHER_ISSUER, "No Status found"),
        (RevocationFault.GOOD_FROM_FUTURE, "status not yet valid"),
    ],
)
def test_openssl_refuses_each_lie(base: str, files: Path, fault: RevocationFault, printed: str) -> None:
    said = openssl_says(base, files, fault)
    assert printed in said, said


def test_each_lie_says_good_and_fails_one_check(base: str, pki: TestPki, revoked: CitizenCertificates) -> None:
    cert, nonce, now = revoked.sign_cert, b"our-nonce-16byte", datetime.now(UTC)
    ca_hash = x509.SubjectKeyIdentifier.from_public_key(pki.ca_cert.public_key()).digest

    def lie(fault: RevocationFault) -> ocsp.OCSPResponse:
        got = answer(base, pki, cert, fault, nonce)
        assert got.certificate_status is ocsp.OCSPCertStatus.GOOD, fault
        return got

    stranger = lie(RevocationFault.GOOD_SIGNED_BY_STRANGER)
    assert stranger.responder_key_hash == ca_hash
    assert not signed_by(stranger, pki.ca_cert)
    (plain,) = lie(RevocationFault.GOOD_BY_DELEGATE_WITHOUT_OCSP_SIGNING).certificates
    plain.verify_directly_issued_by(pki.ca_cert)
    assert ExtendedKeyUsageOID.OCSP_SIGNING not in plain.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    (impostor,) = lie(RevocationFault.GOOD_BY_IMPOSTOR_DELEGATE).certificates
    assert impostor.issuer == pki.ca_cert.subject
    with pytest.raises(InvalidSignature):
        impostor.verify_directly_issued_by(pki.ca_cert)
    ed = lie(RevocationFault.GOOD_ED25519)
    assert ed.responder_name == pki.ca_cert.subject
    assert ed.signature_algorithm_oid == SignatureAlgorithmOID.ED25519
    assert ed.signature_hash_algorithm is None
    replayed = lie(RevocationFault.GOOD_REPLAYED)
    assert replayed.next_update_utc is not None
    assert replayed.next_update_utc < now
    assert signed_by(replayed, pki.ca_cert)
    with pytest.raises(x509.ExtensionNotFound):
        replayed.extensions.get_extension_for_class(x509.OCSPNonce)
    other_nonce = lie(RevocationFault.GOOD_OTHER_NONCE)
    assert other_nonce.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce != nonce
    other_serial = lie(RevocationFault.GOOD_OTHER_SERIAL)
    assert other_serial.serial_number != cert.serial_number
    assert signed_by(other_serial, pki.ca_cert)
    other_issuer = lie(RevocationFault.GOOD_OTHER_ISSUER)
    assert other_issuer.serial_number == cert.serial_number
    assert other_issuer.issuer_key_hash != ca_hash
    future = lie(RevocationFault.GOOD_FROM_FUTURE)
    assert future.this_update_utc > now
    assert signed_by(future, pki.ca_cert)


def test_the_crl_fault_withholds_the_crl_until_disarmed(base: str) -> None:
    control = {CONTROL_HEADER: "1"}
    armed = {"fault": RevocationFault.CRL_HTTP_503, "match": "1234abcd", "times": 1}  # one card's, yet every fetch
    requests.post(base + "/_control/faults", json=armed, headers=control, timeout=5).raise_for_status()
    assert requests.get(base + "/crl", timeout=10).status_code == 503
    crl = x509.load_der_x509_crl(requests.get(base + "/crl", timeout=10).content)  # the fault was for one fetch
    assert crl.next_update_utc is not None


def test_the_misnamed_delegate_signs_truly_but_names_another_key(
    base: str, files: Path, pki: TestPki, revoked: CitizenCertificates
) -> None:
    printed = openssl_says(base, files, RevocationFault.DELEGATED_MISNAMED)
    assert "signer certificate not found" in printed, printed
    got = answer(base, pki, revoked.sign_cert, RevocationFault.DELEGATED_MISNAMED, b"m" * 16)
    (delegate,) = got.certificates
    assert signed_by(got, delegate)
    assert got.responder_key_hash != x509.SubjectKeyIdentifier.from_public_key(delegate.public_key()).digest
    assert got.certificate_status is ocsp.OCSPCertStatus.REVOKED
