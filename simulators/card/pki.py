"""A test PKI shaped like MOICA's (docs/protocols/moica-card.md): test root → test MOICA CA → each citizen's two
certificates.

Never chains to the real GRCA: every name carries a test marker. RSA-2048 keys take tens of milliseconds each, so a
KeyPool makes them in a background thread and a scenario takes a ready one.

The CRL follows RFC 5280 §5 as MOICA publishes one (docs/protocols/moica-card.md#revocation): a v2 CRL whose issuer is
the CA's subject,
signed by the CA's key, with the two extensions §5.2 makes mandatory for a conforming CA (authorityKeyIdentifier,
§5.2.1; cRLNumber, §5.2.3, "monotonically increasing"), a nextUpdate (§5.1.2.5: "Conforming CRL issuers MUST include
the nextUpdate time"), and a reasonCode per entry (§5.3.1; absent for "unspecified", as it recommends). A CRL is
reissued, with the next number, when the revocation list changes or half of its day of validity has passed; between
those, every fetch gets the same bytes, as from a CA's repository.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.ocsp import OCSPCertStatus
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"
LAST4_ID = "2.16.886.1.100.2.51"  # MOICA: the holder's last four 身分證字號 digits (docs/protocols/moica-card.md)
TEST_MARKER = "測試用 tpcd-harness TEST ONLY"
ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "行政院"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"GRCA {TEST_MARKER}"),
    ]
)
# MOICA's DN is C=TW, O=行政院, OU=內政部憑證管理中心 with no CN (docs/protocols/moica-card.md#ca-hierarchy); our CN is
# the test marker.
MOICA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "行政院"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "內政部憑證管理中心"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"MOICA {TEST_MARKER}"),
    ]
)
VALIDITY = timedelta(days=5 * 365)  # 5 years (docs/protocols/moica-card.md#cardholder-certificate)
CRL_LIFETIME = timedelta(days=1)  # thisUpdate → nextUpdate


def subject_directory_attributes(attributes: dict[str, str]) -> bytes:
    """The extension's DER value (RFC 5280 §4.2.1.8), each attribute with one PrintableString value (our choice: the
    real string type is not documented), encoded by asn1crypto."""
    encoded: bytes = asn1_x509.SubjectDirectoryAttributes(
        [{"type": oid, "values": asn1_x509.SetOfPrintableString([value])} for oid, value in attributes.items()]
    ).dump()
    return encoded


def read_subject_directory_attributes(value: bytes) -> dict[str, str]:
    """oid → first value of each attribute in the extension's DER value (any string type), decoded by asn1crypto."""
    return {
        attribute["type"].dotted: str(attribute["values"][0].native)
        for attribute in asn1_x509.SubjectDirectoryAttributes.load(value)
    }


class KeyPool:
    """RSA-2048 keys made ahead of need by a daemon thread."""

    def __init__(self, ready: int = 4) -> None:
        self._keys: queue.Queue[rsa.RSAPrivateKey] = queue.Queue(maxsize=ready)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, name="rsa-key-pool", daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        while not self._stop.is_set():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            while not self._stop.is_set():
                try:
                    self._keys.put(key, timeout=0.5)
                    break
                except queue.Full:
                    continue

    def take(self) -> rsa.RSAPrivateKey:
        """A fresh key: at once when the pool has one, else as soon as the thread makes it."""
        return self._keys.get(timeout=60)

    def close(self) -> None:
        """Stop making keys."""
        self._stop.set()


@dataclass(frozen=True, slots=True)
class CitizenCertificates:
    """What goes on one card: the signing and the encryption key pairs and certificates."""

    serial_number: str  # 自然人序號, the 16 digits in the subject's serialNumber
    sign_key: rsa.RSAPrivateKey = field(repr=False)
    sign_cert: x509.Certificate
    enc_key: rsa.RSAPrivateKey = field(repr=False)
    enc_cert: x509.Certificate


class TestPki:
    """The root, the MOICA-like CA, its issued certificates and their revocation state."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, pool: KeyPool, *, ocsp_url: str = "", crl_url: str = "") -> None:
        self.pool = pool
        self.ocsp_url, self.crl_url = ocsp_url, crl_url
        now = datetime.now(UTC) - timedelta(minutes=5)
        self.root_key = pool.take()
        self.root_cert = self._ca_cert(ROOT_NAME, self.root_key, ROOT_NAME, self.root_key, now, timedelta(days=9000))
        self.ca_key = pool.take()
        self.ca_cert = self._ca_cert(MOICA_NAME, self.ca_key, ROOT_NAME, self.root_key, now, timedelta(days=7000))
        self.issued: dict[int, x509.Certificate] = {}
        self.revoked: dict[int, tuple[datetime, x509.ReasonFlags]] = {}
        self.lock = threading.Lock()
        self._crl: x509.CertificateRevocationList | None = None
        self._crl_number = 0  # the cRLNumber of the last CRL issued: never goes down, not even on reset

    @staticmethod
    def _ca_cert(
        subject: x509.Name,
        key: rsa.RSAPrivateKey,
        issuer: x509.Name,
        issuer_key: rsa.RSAPrivateKey,
        not_before: datetime,
        lifetime: timedelta,
    ) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + lifetime)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None if subject == issuer else 0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(issuer_key, hashes.SHA256())
        )

    def issue(
        self,
        name: str,
        id_number: str,
        *,
        seed: int,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> CitizenCertificates:
        """Both certificates for a citizen; validity defaults to five years from now (settable for expiry tests)."""
        start = not_before or datetime.now(UTC) - timedelta(minutes=5)
        end = not_after or start + VALIDITY
        serial_number = f"{int(hashlib.sha256(f'moica:{seed}'.encode()).hexdigest(), 16) % 10**16:016d}"
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
            ]
        )
        sign_key, enc_key = self.pool.take(), self.pool.take()
        signing = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
        encrypting = x509.KeyUsage(False, False, True, True, False, False, False, False, False)
        sign_cert = self._citizen_cert(subject, sign_key, id_number, signing, start, end)
        enc_cert = self._citizen_cert(subject, enc_key, id_number, encrypting, start, end)
        return CitizenCertificates(serial_number, sign_key, sign_cert, enc_key, enc_cert)

    def _citizen_cert(
        self,
        subject: x509.Name,
        key: rsa.RSAPrivateKey,
        id_number: str,
        usage: x509.KeyUsage,
        start: datetime,
        end: datetime,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False)
            .add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier(SUBJECT_DIRECTORY_ATTRIBUTES),
                    subject_directory_attributes({LAST4_ID: id_number[-4:]}),
                ),
                critical=False,
            )
        )
        if self.ocsp_url:
            access = x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(self.ocsp_url)
            )
            builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
        if self.crl_url:
            point = x509.DistributionPoint([x509.UniformResourceIdentifier(self.crl_url)], None, None, None)
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        cert = builder.sign(self.ca_key, hashes.SHA256())
        with self.lock:
            self.issued[cert.serial_number] = cert
        return cert

    def revoke(self, serial: int, reason: x509.ReasonFlags = x509.ReasonFlags.key_compromise) -> None:
        """Mark a certificate revoked (MOICA's 停用 / EE金鑰洩漏 …)."""
        with self.lock:
            if serial not in self.issued:
                raise KeyError(f"no certificate with serial {serial:x} was issued here")
            self.revoked[serial] = (datetime.now(UTC) - timedelta(seconds=1), reason)
            self._crl = None

    def unrevoke(self, serial: int) -> None:
        """Back to 正常 (MOICA's 復用)."""
        with self.lock:
            if self.revoked.pop(serial, None) is not None:
                self._crl = None

    def reset(self) -> None:
        """Nothing revoked."""
        with self.lock:
            if self.revoked:
                self.revoked.clear()
                self._crl = None

    def status(self, serial: int) -> tuple[OCSPCertStatus, datetime | None, x509.ReasonFlags | None]:
        """Whether the certificate with `serial` is good, revoked (when, why) or was never issued by this CA."""
        with self.lock:
            if serial not in self.issued:
                return OCSPCertStatus.UNKNOWN, None, None
            if serial in self.revoked:
                when, reason = self.revoked[serial]
                return OCSPCertStatus.REVOKED, when, reason
            return OCSPCertStatus.GOOD, None, None

    def state(self) -> dict[str, Any]:
        """How many certificates were issued and which are revoked, for `GET /_control/state`."""
        with self.lock:
            revoked = [f"{serial:x}" for serial in self.revoked]
            return {"issued": len(self.issued), "revoked": revoked, "crl_number": self._crl_number}

    def chain_pem(self) -> bytes:
        """The MOICA-like CA and the test root, PEM: what a relying party is configured to trust."""
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in (self.ca_cert, self.root_cert))

    def crl(self) -> x509.CertificateRevocationList:
        """The CA's current CRL of everything revoked (RFC 5280 §5), reissued with a new number when it changes."""
        now = datetime.now(UTC)
        with self.lock:
            if self._crl is not None and now < self._crl.last_update_utc + CRL_LIFETIME / 2:
                return self._crl
            self._crl_number += 1
            this_update = now.replace(microsecond=0) - timedelta(minutes=1)
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(self.ca_cert.subject)
                .last_update(this_update)
                .next_update(this_update + CRL_LIFETIME)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), False)
                .add_extension(x509.CRLNumber(self._crl_number), critical=False)
            )
            for serial, (when, reason) in self.revoked.items():
                entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
                if reason is not x509.ReasonFlags.unspecified:
                    entry = entry.add_extension(x509.CRLReason(reason), critical=False)
                builder = builder.add_revoked_certificate(entry.build())
            self._crl = builder.sign(self.ca_key, hashes.SHA256())
            return self._crl
