"""Server-side real-name verification (docs/protocols/moica-card.md#real-name-check): whatever the page did, the server
checks it all again.

In order: the typed 身分證字號 (checksum, and the member's own); the nonce (issued to this member, unused, fresh);
the signature over it with the signing certificate's key; the chain to the configured MOICA CA; the validity; the
revocation status (OCSP from the AIA, its answer signed by the CA or its OCSP delegate, about this certificate, with
our nonce and current; else the CA's current CRL); the last four ID digits in 2.16.886.1.100.2.51; and
that no other member holds this certificate. Each failure has its own plain-Chinese message and changes nothing.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from portal.idnumber import IdNumberError, validate_id_number

LAST4_ID = "2.16.886.1.100.2.51"


class RealNameError(Exception):
    """Why the verification failed, in the words the citizen reads."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the page sent back from the agent."""

    id_number: str
    nonce: str
    signature_b64: str
    cert_b64: str


def last4_of(cert_der: bytes) -> str | None:
    """The last four ID digits from Subject Directory Attributes (2.5.29.9), read with asn1crypto."""
    certificate = asn1_x509.Certificate.load(cert_der)
    for extension in certificate["tbs_certificate"]["extensions"]:
        if extension["extn_id"].dotted != "2.5.29.9":
            continue
        for attribute in extension["extn_value"].parsed:
            if attribute["type"].dotted == LAST4_ID:
                value = attribute["values"][0]
                parsed = getattr(value, "parsed", value)  # an Any wraps it; a known attribute is already a string
                return str(parsed.native)
    return None


def rsa_signed(key: CertificatePublicKeyTypes, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> bool:
    """Whether `signature` is RSA PKCS#1 v1.5 over `data` by `key` (False for a key that is not RSA): the portal's one
    signature check, for the citizen's nonce and for the OCSP answer alike."""
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


OCSP_SKEW = timedelta(minutes=5)  # clock difference tolerated between the portal and the responder
OCSP_MAX_AGE = timedelta(days=1)  # an answer without nextUpdate is taken as fresh this long (RFC 5019 §2.2.4)


def _ocsp_signer(answer: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    """Who may have signed `answer` (RFC 6960 §4.2.2.2): the CA itself, or a responder certificate the CA issued
    for OCSP signing (id-kp-OCSPSigning) that the answer carries; None for anyone else."""
    issuer_key_hash = x509.SubjectKeyIdentifier.from_public_key(issuer.public_key()).digest
    if answer.responder_name == issuer.subject or answer.responder_key_hash == issuer_key_hash:
        return issuer
    for delegate in answer.certificates:
        named = answer.responder_name == delegate.subject
        hashed = answer.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(delegate.public_key()).digest
        if not (named or hashed) or delegate.issuer != issuer.subject:
            continue
        try:
            delegate.verify_directly_issued_by(issuer)
            usages = delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        if x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in usages:
            return delegate
    return None


def _ocsp_status(
    answer: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate, nonce: bytes
) -> str | None:
    """The status `answer` gives `cert`, if the answer is one to trust: signed by the CA or its delegate, about this
    certificate of this issuer, echoing our nonce when it echoes one, and current; None otherwise (then the CRL is
    asked). A forged or replayed 'good' would otherwise let a revoked card through."""
    if answer.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return None
    signer = _ocsp_signer(answer, issuer)
    if signer is None or answer.signature_hash_algorithm is None:
        return None
    if not rsa_signed(
        signer.public_key(), answer.signature, answer.tbs_response_bytes, answer.signature_hash_algorithm
    ):
        return None
    try:
        echoed = answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        echoed = None  # RFC 8954 §2.1: a responder may leave the nonce out; freshness is then checked by time alone
    if echoed is not None and echoed != nonce:
        return None
    issuer_key_hash = hashes.Hash(answer.hash_algorithm)
    issuer_key_hash.update(
        issuer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    )
    now = datetime.now(UTC)
    for single in answer.responses:
        if single.serial_number != cert.serial_number or single.issuer_key_hash != issuer_key_hash.finalize():
            continue
        fresh_until = single.next_update_utc or single.this_update_utc + OCSP_MAX_AGE
        if single.this_update_utc > now + OCSP_SKEW or fresh_until < now - OCSP_SKEW:
            return None
        return single.certificate_status.name.lower()
    return None


def _revocation(cert: x509.Certificate, issuer: x509.Certificate, timeout: float) -> str:
    """'good', 'revoked' or 'unknown' from a trustworthy OCSP answer, else from a current CRL the CA signed;
    RealNameError when neither can be had."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        urls = [d.access_location.value for d in aia if d.access_method == AuthorityInformationAccessOID.OCSP]
    except x509.ExtensionNotFound:
        urls = []
    for url in urls:
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
            continue  # OCSP down: fall back to the CRL
        status = _ocsp_status(answer, cert, issuer, nonce)
        if status is not None:
            return status
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        crl_urls = [name.value for point in points for name in (point.full_name or [])]
    except x509.ExtensionNotFound:
        crl_urls = []
    now = datetime.now(UTC)
    for url in crl_urls:
        try:
            reply = requests.get(url, timeout=timeout)
            reply.raise_for_status()
            crl = x509.load_der_x509_crl(reply.content)
        except (requests.RequestException, ValueError):
            continue
        if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            continue
        if crl.next_update_utc is not None and crl.next_update_utc < now - OCSP_SKEW:
            continue  # a stale CRL says nothing of revocations since (RFC 5280 §6.3.3 (a)(2))
        return "revoked" if crl.get_revoked_certificate_by_serial_number(cert.serial_number) else "good"
    raise RealNameError("目前無法確認自然人憑證的狀態（OCSP 與 CRL 都無法連線），請稍後再試。")


def verify(evidence: Evidence, *, member_id_number: str, trusted_pem: bytes, timeout: float) -> x509.Certificate:
    """Run every check; return the verified signing certificate or raise RealNameError."""
    typed = evidence.id_number.strip().upper()
    try:
        validate_id_number(typed)
    except IdNumberError as error:
        raise RealNameError(f"{error}。") from error
    if typed != member_id_number:
        raise RealNameError("輸入的身分證字號與您註冊的資料不符。")
    try:
        cert_der = base64.b64decode(evidence.cert_b64, validate=True)
        cert = x509.load_der_x509_certificate(cert_der)
        signature = base64.b64decode(evidence.signature_b64, validate=True)
    except ValueError as error:
        raise RealNameError("安控元件送回的憑證或簽章格式不正確，請再試一次。") from error
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise RealNameError("這不是自然人憑證的簽章金鑰。")
    if not rsa_signed(public, signature, evidence.nonce.encode(), hashes.SHA256()):
        raise RealNameError("簽章驗證失敗，請確認插入的是您本人的自然人憑證後再試一次。")
    anchors = x509.load_pem_x509_certificates(trusted_pem)
    issuer = next((ca for ca in anchors if ca.subject == cert.issuer), None)
    try:
        if issuer is None:
            raise ValueError("unknown issuer")
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise RealNameError("此憑證不是內政部憑證管理中心核發的自然人憑證。") from error
    now = datetime.now(UTC)
    if now < cert.not_valid_before_utc:
        raise RealNameError("您的自然人憑證尚未生效。")
    if now > cert.not_valid_after_utc:
        raise RealNameError("您的自然人憑證已過期，請至戶政事務所辦理展期或重新申請。")
    status = _revocation(cert, issuer, timeout)
    if status != "good":
        raise RealNameError("您的自然人憑證已被廢止或停用，無法用於實名認證。")
    if last4_of(cert_der) != typed[-4:]:
        raise RealNameError("輸入的身分證字號與自然人憑證不符，請確認插入的是您本人的自然人憑證。")
    return cert
