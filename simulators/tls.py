"""A local certificate authority for the simulators' HTTPS ports: clients that hard-code `https://` (django-recaptcha's
siteverify URL, OAuth2 libraries that refuse plain HTTP) reach a simulator once they trust this CA's certificate.

A fresh CA per run: its key never leaves the process except as the server key file uvicorn must read, written in a
private temporary folder that is removed when the server stops.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulators.lifetime import owned_tempdir

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")  # every name a loopback client may use for the same server
VALIDITY = datetime.timedelta(days=30)  # long enough for a `tpcd up` session, short enough to be harmless


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    """A server certificate (with its CA after it) and its private key, as PEM files for uvicorn."""

    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tpcd-harness"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _subject_alt_name(hosts: Iterable[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):  # unique, in order
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates and CRLs; a TLS server with an EC key only signs its handshakes (RFC 5280 §4.2.1.3)."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class LocalCa:
    """A CA made on the spot (EC P-256) that issues server certificates for the hosts a simulator answers on."""

    def __init__(self, common_name: str = "tpcd-harness local CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        public = self._key.public_key()
        # RFC 5280 §4.2.1.9 and §4.2.1.3: a CA certificate says it is one and may sign certificates; strict verifiers
        # (Python 3.13's VERIFY_X509_STRICT) also want the key identifiers.
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        """The CA certificate as PEM: what a client adds to its trust store (`SSL_CERT_FILE`, `verify=`)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(self, hosts: Iterable[str]) -> tuple[bytes, bytes]:
        """A server certificate for `hosts` (DNS names or IP addresses) followed by the CA's, and its key, as PEM."""
        key = ec.generate_private_key(ec.SECP256R1())
        names = list(hosts)
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(_subject_alt_name(names), critical=False)  # RFC 6125: clients match the SAN, not the CN
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        chain = certificate.public_bytes(serialization.Encoding.PEM) + self.pem
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return chain, key_pem

    @contextmanager
    def server_files(self, hosts: Iterable[str]) -> Iterator[CertificateFiles]:
        """A certificate for `hosts` written to a private temporary folder, removed on exit."""
        folder = owned_tempdir("tpcd-tls-")  # mode 0700: only this user reads the key; swept if the run is killed
        try:
            chain, key = self.issue(hosts)
            files = CertificateFiles(folder / "server.pem", folder / "server-key.pem")
            files.cert.write_bytes(chain)
            files.key.touch(mode=0o600)
            files.key.write_bytes(key)
            yield files
        finally:
            shutil.rmtree(folder, ignore_errors=True)
