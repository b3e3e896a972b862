"""The OCSP responder as real clients use it: Debian's `openssl ocsp` and `cryptography`, over HTTP (RFC 6960)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp

from simulators.card import RevocationFault, revocation
from simulators.card.pki import CitizenCertificates, TestPki
from simulators.control import CONTROL_HEADER
from simulators.serving import serve_asgi

CONTROL = {CONTROL_HEADER: "1"}  # what every tool of a control surface sends (simulators.control)

PEM = serialization.Encoding.PEM


@pytest.fixture(scope="module")
def citizens(pki: TestPki) -> tuple[CitizenCertificates, CitizenCertificates]:
    return pki.issue("陳志明", "A123456789", seed=101), pki.issue("林淑芬", "B223456789", seed=102)


@pytest.fixture(scope="module")
def files(pki: TestPki, citizens: tuple[CitizenCertificates, ...], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PEM files as an openssl user has them: the CA, the test root, the chain, and each citizen's certificate."""
    folder = tmp_path_factory.mktemp("ocsp")
    (folder / "ca.pem").write_bytes(pki.ca_cert.public_bytes(PEM))
    (folder / "root.pem").write_bytes(pki.root_cert.public_bytes(PEM))
    (folder / "chain.pem").write_bytes(pki.chain_pem())
    for name, citizen in zip(("good", "other"), citizens, strict=True):
        (folder / f"{name}.pem").write_bytes(citizen.sign_cert.public_bytes(PEM))
    return folder


@pytest.fixture
def responder(pki: TestPki) -> Iterator[str]:
    pki.reset()
    with serve_asgi(revocation.create_app(pki), name="ocsp") as url:
        yield url + "/ocsp"


def openssl_ocsp(*arguments: str | Path) -> str:
    """Run `openssl ocsp` and give back what it prints (it prints its verdict on stderr, statuses on stdout)."""
    done = subprocess.run(["openssl", "ocsp", *map(str, arguments)], capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


def ask(url: str, request: ocsp.OCSPRequest) -> ocsp.OCSPResponse:
    """POST as RFC 6960 A.1 says, with the content types it names."""
    reply = requests.post(
        url,
        data=request.public_bytes(serialization.Encoding.DER),
        timeout=10,
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(reply.content)


def request_for(cert: x509.Certificate, issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> ocsp.OCSPRequest:
    return ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm).build()


def test_two_certificates_in_one_request_each_get_their_status(
    responder: str, files: Path, pki: TestPki, citizens: tuple[CitizenCertificates, ...]
) -> None:
    pki.revoke(citizens[1].sign_cert.serial_number)
    out = openssl_ocsp(
        "-issuer",
        files / "ca.pem",
        "-cert",
        files / "good.pem",
        "-cert",
        files / "other.pem",
        "-url",
        responder,
        "-CAfile",
        files / "chain.pem",
    )
    assert "Response verify OK" in out
    assert f"{files / 'good.pem'}: good" in out
    assert f"{files / 'other.pem'}: revoked" in out
    assert "Reason: keyCompromise" in out
    assert "WARNING" not in out  # openssl sent a nonce and found it echoed


def test_without_a_nonce_and_with_the_responder_named_by_vafile(responder: str, files: Path) -> None:
    out = openssl_ocsp(
        "-issuer",
        files / "ca.pem",
        "-cert",
        files / "good.pem",
        "-url",
        responder,
        "-no_nonce",
        "-VAfile",
        files / "ca.pem",
        "-resp_text",
    )
    assert "Response verify OK" in out
    assert f"{files / 'good.pem'}: good" in out
    assert "OCSP Nonce" not in out  # none asked, none answered


def test_sha256_certids(responder: str, files: Path) -> None:
    out = openssl_ocsp(
        "-issuer",
        files / "ca.pem",
        "-sha256",
        "-cert",
        files / "good.pem",
        "-url",
        responder,
        "-CAfile",
        files / "chain.pem",
        "-resp_text",
    )
    assert "Response verify OK" in out
    assert "Hash Algorithm: sha256" in out  # the answer carries the SHA-256 CertID it was asked, which openssl found
    assert f"{files / 'good.pem'}: good" in out


@pytest.mark.parametrize("algorithm", [hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512()])
def test_each_certid_hash_is_matched_and_echoed(
    responder: str, pki: TestPki, citizens: tuple[CitizenCertificates, ...], algorithm: hashes.HashAlgorithm
) -> None:
    cert = citizens[0].sign_cert
    answer = ask(responder, request_for(cert, pki.ca_cert, algorithm))
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert isinstance(answer.hash_algorithm, type(algorithm))
    assert answer.serial_number == cert.serial_number


def test_a_certificate_of_another_issuer_is_unknown(
    responder: str, files: Path, pki: TestPki, citizens: tuple[CitizenCertificates, ...]
) -> None:
    # One request, two issuers: a citizen's certificate (this CA's) and the CA's own (the root's).
    out = openssl_ocsp(
        "-issuer",
        files / "ca.pem",
        "-cert",
        files / "good.pem",
        "-issuer",
        files / "root.pem",
        "-cert",
        files / "ca.pem",
        "-url",
        responder,
        "-VAfile",
        files / "ca.pem",
    )
    assert "Response verify OK" in out
    assert f"{files / 'good.pem'}: good" in out
    assert f"{files / 'ca.pem'}: unknown" in out
    # This CA's name and key, but a serial it never issued; and a citizen's serial under another issuer's hashes.
    assert "0x1234abcd: unknown" in openssl_ocsp(
        "-issuer", files / "ca.pem", "-serial", "0x1234abcd", "-url", responder, "-VAfile", files / "ca.pem"
    )
    elsewhere = ask(responder, request_for(citizens[0].sign_cert, pki.root_cert, hashes.SHA1()))
    assert elsewhere.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_revoked_answers_carry_time_and_reason_for_each_certificate(
    responder: str, pki: TestPki, citizens: tuple[CitizenCertificates, ...]
) -> None:
    good, other = (citizen.sign_cert for citizen in citizens)
    pki.revoke(other.serial_number, x509.ReasonFlags.certificate_hold)  # MOICA's 停用
    request = (
        ocsp.OCSPRequestBuilder().add_certificate_by_hash(*_cert_id(good, pki.ca_cert)).build()
    )  # cryptography builds one-certificate requests only: the two-certificate ones come from openssl above
    assert ask(responder, request).certificate_status is ocsp.OCSPCertStatus.GOOD
    answer = ask(responder, request_for(other, pki.ca_cert, hashes.SHA1()))
    assert answer.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason is x509.ReasonFlags.certificate_hold
    assert answer.revocation_time_utc is not None
    assert answer.this_update_utc <= answer.produced_at_utc
    assert answer.next_update_utc is not None
    assert answer.next_update_utc > answer.this_update_utc
    pki.unrevoke(other.serial_number)  # MOICA's 復用
    assert ask(responder, request_for(other, pki.ca_cert, hashes.SHA1())).certificate_status is ocsp.OCSPCertStatus.GOOD


def _cert_id(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bytes, bytes, int, hashes.HashAlgorithm]:
    """A SHA-1 CertID computed here from RFC 6960 §4.1.1's definition, not by the responder's code."""
    key_bits = issuer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    name_hash = hashlib.sha1(issuer.subject.public_bytes()).digest()
    return name_hash, hashlib.sha1(key_bits).digest(), cert.serial_number, hashes.SHA1()


def test_the_nonce_is_echoed_and_the_answer_is_signed_by_the_ca(
    responder: str, pki: TestPki, citizens: tuple[CitizenCertificates, ...]
) -> None:
    nonce = bytes(range(16))
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(citizens[0].sign_cert, pki.ca_cert, hashes.SHA1())
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    answer = ask(responder, request)
    assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    public = pki.ca_cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert answer.signature_hash_algorithm is not None
    public.verify(answer.signature, answer.tbs_response_bytes, padding.PKCS1v15(), answer.signature_hash_algorithm)
    assert answer.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(public).digest
    assert answer.certificates == [pki.ca_cert]


def test_get_with_the_request_in_the_url_path(
    responder: str, pki: TestPki, citizens: tuple[CitizenCertificates, ...]
) -> None:
    der = request_for(citizens[0].sign_cert, pki.ca_cert, hashes.SHA1()).public_bytes(serialization.Encoding.DER)
    encoded = base64.b64encode(der).decode()
    for path in (quote(encoded, safe=""), encoded):  # RFC 6960 A.1: url-encoded base64; some clients leave it raw
        reply = requests.get(f"{responder}/{path}", timeout=10)
        assert reply.headers["content-type"] == "application/ocsp-response"
        assert ocsp.load_der_ocsp_response(reply.content).certificate_status is ocsp.OCSPCertStatus.GOOD


@pytest.mark.parametrize(
    ("fault", "status", "printed"),
    [
        (RevocationFault.TRY_LATER, ocsp.OCSPResponseStatus.TRY_LATER, "Responder Error: trylater (3)"),
        (RevocationFault.INTERNAL_ERROR, ocsp.OCSPResponseStatus.INTERNAL_ERROR, "Responder Error: internalerror (2)"),
    ],
)
def test_down_is_a_protocol_level_answer(
    responder: str,
    files: Path,
    pki: TestPki,
    citizens: tuple[CitizenCertificates, ...],
    fault: RevocationFault,
    status: ocsp.OCSPResponseStatus,
    printed: str,
) -> None:
    control = responder.removesuffix("/ocsp") + "/_control/faults"
    requests.post(control, json={"fault": fault, "times": 2}, headers=CONTROL, timeout=5).raise_for_status()
    assert printed in openssl_ocsp("-issuer", files / "ca.pem", "-cert", files / "good.pem", "-url", responder)
    assert ask(responder, request_for(citizens[0].sign_cert, pki.ca_cert, hashes.SHA1())).response_status is status
    used_up = ask(responder, request_for(citizens[0].sign_cert, pki.ca_cert, hashes.SHA1()))
    assert used_up.certificate_status is ocsp.OCSPCertStatus.GOOD


def test_a_fault_for_one_serial_and_the_http_outage(
    responder: str, pki: TestPki, citizens: tuple[CitizenCertificates, ...]
) -> None:
    control = responder.removesuffix("/ocsp") + "/_control/faults"
    good, other = (citizen.sign_cert for citizen in citizens)
    armed = {"fault": RevocationFault.TRY_LATER, "match": f"{other.serial_number:x}", "times": None}
    requests.post(control, json=armed, headers=CONTROL, timeout=5).raise_for_status()
    assert ask(responder, request_for(good, pki.ca_cert, hashes.SHA1())).certificate_status is ocsp.OCSPCertStatus.GOOD
    refused = ask(responder, request_for(other, pki.ca_cert, hashes.SHA1()))
    assert refused.response_status is ocsp.OCSPResponseStatus.TRY_LATER
    requests.post(control, json={"fault": RevocationFault.HTTP_503}, headers=CONTROL, timeout=5).raise_for_status()
    der = request_for(good, pki.ca_cert, hashes.SHA1()).public_bytes(serialization.Encoding.DER)
    assert requests.post(responder, data=der, timeout=10).status_code == 503


@pytest.mark.parametrize("path", ["", "/not-base64!"])
def test_a_malformed_request_is_answered_malformed(responder: str, path: str) -> None:
    reply = (
        requests.post(responder, data=b"junk", timeout=10) if not path else requests.get(responder + path, timeout=10)
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/ocsp-response"
    assert ocsp.load_der_ocsp_response(reply.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
