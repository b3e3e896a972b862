"""The certifier's own relying party: what a portal checks of what the agent signed, written here with `cryptography`.

The portal twin has a server-side check of its own (it is the system under test of the Gherkin suite); a certificate
of a vendor's agent must not hang on it, so a change or a bug in the twin never becomes the vendor's FAIL. In order:
the signature over the nonce with the certificate's key (RSA PKCS#1 v1.5, SHA-256); when the card's CA chain is known
(a card under control), the certificate issued by that CA, valid now, not revoked (an OCSP answer signed by the CA
or a responder it delegated, about this certificate, else the CA's current CRL), and the holder's last four ID digits
in its Subject Directory Attributes. Each failure is a `Rejected` with the words the portal's page shows the citizen.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

import requests
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"
LAST4_ID = "2.16.886.1.100.2.51"  # MOICA: the holder's last four ID digits
SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=1)  # an OCSP answer without nextUpdate is fresh this long (RFC 5019 §2.2.4)
BAD_SIGNATURE = "簽章驗證失敗，請確認插入的是您本人的自然人憑證後再試一次。"
NOT_MOICA = "此憑證不是內政部憑證管理中心核發的自然人憑證。"
EXPIRED = "您的自然人憑證已過期，請至戶政事務所辦理展期或重新申請。"
NOT_YET = "您的自然人憑證尚未生效。"
REVOKED = "您的自然人憑證已被廢止或停用，無法用於實名認證。"
UNKNOWN_STATUS = "目前無法確認自然人憑證的狀態（OCSP 與 CRL 都無法連線），請稍後再試。"
OTHER_HOLDER = "輸入的身分證字號與自然人憑證不符，請確認插入的是您本人的自然人憑證。"


class Rejected(Exception):
    """The relying party turns the signature down; the message is what the citizen reads."""


def rsa_signed(key: CertificatePublicKeyTypes, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> bool:
    """Whether `signature` is RSA PKCS#1 v1.5 over `data` by `key` (False for a key that is not RSA): the certifier's
    one signature check, for the nonce, the OCSP answer and the suite's assertions alike."""
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


def check_signature(nonce: str, signature_b64: str, cert_b64: str) -> x509.Certificate:
    """The certificate whose RSA key signed SHA-256 of `nonce` (PKCS#1 v1.5); Rejected otherwise."""
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(cert_b64, validate=True))
        signature = base64.b64decode(signature_b64, validate=True)
        key = cert.public_key()
    except ValueError as error:
        raise Rejected(BAD_SIGNATURE) from error
    if not rsa_signed(key, signature, nonce.encode(), hashes.SHA256()):
        raise Rejected(BAD_SIGNATURE)
    return cert


def check_card(cert: x509.Certificate, *, id_number: str, chain_pem: bytes, timeout: float = 10.0) -> None:
    """The signing certificate is the citizen's MOICA certificate, valid and not revoked now; Rejected otherwise."""
    issuer = next((ca for ca in x509.load_pem_x509_certificates(chain_pem) if ca.subject == cert.issuer), None)
    try:
        if issuer is None:
            raise ValueError("no such issuer in the chain")
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise Rejected(NOT_MOICA) from error
    now = datetime.now(UTC)
    if now < cert.not_valid_before_utc:
        raise Rejected(NOT_YET)
    if now > cert.not_valid_after_utc:
        raise Rejected(EXPIRED)
    if revocation_status(cert, issuer, timeout=timeout) != "good":
        raise Rejected(REVOKED)
    if last4(cert) != id_number.strip().upper()[-4:]:
        raise Rejected(OTHER_HOLDER)


def last4(cert: x509.Certificate) -> str | None:
    """The holder's last four ID digits from the certificate's Subject Directory Attributes."""
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    for extension in parsed["tbs_certificate"]["extensions"]:
        if extension["extn_id"].dotted != SUBJECT_DIRECTORY_ATTRIBUTES:
            continue
        for attribute in extension["extn_value"].parsed:
            if attribute["type"].dotted == LAST4_ID:
                value = attribute["values"][0]
                return str(getattr(value, "parsed", value).native)
    return None


def revocation_status(cert: x509.Certificate, issuer: x509.Certificate, *, timeout: float) -> str:
    """'good', 'revoked' or 'unknown': from an OCSP answer worth trusting, else from the CA's current CRL; Rejected
    when neither answers."""
    for url in _locations(cert):
        status = _ocsp(url, cert, issuer, timeout)
        if status is not None:
            return status
    for url in _crl_locations(cert):
        try:
            reply = requests.get(url, timeout=timeout)
            reply.raise_for_status()
            crl = x509.load_der_x509_crl(reply.content)
        except (requests.RequestException, ValueError):
            continue
        issuer_key = issuer.public_key()
        if crl.issuer != issuer.subject or not isinstance(issuer_key, rsa.RSAPublicKey):
            continue
        if not crl.is_signature_valid(issuer_key):
            continue
        if crl.next_update_utc is not None and crl.next_update_utc < datetime.now(UTC) - SKEW:
            continue
        return "revoked" if crl.get_revoked_certificate_by_serial_number(cert.serial_number) else "good"
    raise Rejected(UNKNOWN_STATUS)


def _locations(cert: x509.Certificate) -> list[str]:
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [str(d.access_location.value) for d in access if d.access_method == AuthorityInformationAccessOID.OCSP]


def _crl_locations(cert: x509.Certificate) -> list[str]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [str(name.value) for point in points for name in (point.full_name or [])]


def _ocsp(url: str, cert: x509.Certificate, issuer: x509.Certificate, timeout: float) -> str | None:
    """The status an OCSP responder gives `cert`, or None when it cannot be had or is not to be trusted."""
    nonce = secrets.token_bytes(16)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    try:
        reply = requests.post(
            url,
            data=request.public_bytes(serialization.Encoding.DER),
            headers={"Content-Type": "application/ocsp-request"},
            timeout=timeout,
        )
        reply.raise_for_status()
        answer = ocsp.load_der_ocsp_response(reply.content)
    except (requests.RequestException, ValueError):
        return None
    if answer.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL or not _signed_by_ca(answer, issuer):
        return None
    try:
        if answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce != nonce:
            return None  # a replayed answer
    except x509.ExtensionNotFound:
        pass  # RFC 8954: a responder may leave the nonce out; freshness is then by time alone
    now = datetime.now(UTC)
    for single in answer.responses:
        if single.serial_number != cert.serial_number or single.issuer_name_hash != _name_hash(issuer, single):
            continue
        until = single.next_update_utc or single.this_update_utc + MAX_AGE
        if single.this_update_utc > now + SKEW or until < now - SKEW:
            return None
        return single.certificate_status.name.lower()
    return None


def _name_hash(issuer: x509.Certificate, single: ocsp.OCSPSingleResponse) -> bytes:
    """The issuer's name hash as the responder computed it (with the hash algorithm it named)."""
    digest = hashes.Hash(single.hash_algorithm)
    digest.update(issuer.subject.public_bytes())
    return digest.finalize()


def _signed_by_ca(answer: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """Whether `answer` is signed by the CA, or by a responder certificate the CA issued for OCSP signing
    (RFC 6960 §4.2.2.2) that the answer carries."""
    candidates = [issuer, *answer.certificates]
    for signer in candidates:
        if signer is not issuer:
            try:
                signer.verify_directly_issued_by(issuer)
                usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
                continue
            if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
                continue
        algorithm = answer.signature_hash_algorithm
        if algorithm is not None and rsa_signed(
            signer.public_key(), answer.signature, answer.tbs_response_bytes, algorithm
        ):
            return True
    return False
