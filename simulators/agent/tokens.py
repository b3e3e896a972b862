"""How the agent reaches the card: through PC/SC with pyscard (any reader, a physical card too), or in-process.

It speaks the card's APDUs (simulators/card/APDU.md) and turns status words into HiPKI codes, as real middleware
(HiCOS PKCS#11 under the real agent) does. `CardCertificate.describe` is the certificate entry of
/pkcs11info?withcert=true, field for field.

Confirmed (the notes once had only the citizen's certificates; docs/protocols/hipki-agent.md#responses): the token's
`certs` also carry the issuing CA's
certificate, labelled "CA Cert" with usage "keyCertSign|cRLSign", listed first — zkmopro/zkID
`wallet-unit-poc/ecdsa-spartan2/tests/testdata/pkcs11info_test.json` (entries "CA Cert" then "cert1"), and both zkID
clients depend on it: `extract_issuer_cert` (ecdsa-spartan2, `.find(|c| c.label == "CA Cert")` in the first slot's
token) and `buildCardContext` (`web/src/pipeline.ts`: `token.certs.find((c) => c.label === "CA Cert")`, and the user
certificate is the first entry with another label). `subjectDN`/`issuerDN` are the RDNs in certificate order joined
by "," with no spaces ("C=TW,CN=Test User,serialNumber=0000000000000000" in that fixture); `sn` is the serial in hex.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.System import readers as pcsc_readers

from simulators.agent.codes import AgentError, Ret, pin_status
from simulators.card.card_os import SHA256_DIGEST_INFO, CardPulledOut
from simulators.card.pki import LAST4_ID, SUBJECT_DIRECTORY_ATTRIBUTES, read_subject_directory_attributes
from simulators.card.profile import DO_CARD_NUMBER, EF_CA_CERT, EF_ENC_CERT, EF_SIGN_CERT, MOICA_AID


@runtime_checkable
class CardSession(Protocol):
    """One connection to the card in a reader."""

    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...


class LibrarySession(Protocol):
    """One session with the card through a middleware library (PKCS#11: simulators/agent/pkcs11.py), which speaks
    the card's APDUs itself: the agent asks it for the token, a login, a signature, a decryption."""

    def read_token(self) -> Token: ...
    def login(self, pin: str) -> None: ...
    def sign_digest(self, data: bytes) -> bytes: ...
    def decipher(self, cryptogram: bytes) -> bytes: ...


class CardTransport(Protocol):
    """Readers and connections, whatever carries the APDUs (or the library that sends them)."""

    def readers(self) -> list[str]: ...
    def session(self, reader: str) -> AbstractContextManager[CardSession | LibrarySession]: ...  # AgentError(NO_CARD)


def _library(session: CardSession | LibrarySession) -> LibrarySession | None:
    """The session as a library session, None when the agent speaks APDUs itself."""
    return None if isinstance(session, CardSession) else session


class PcscTransport:
    """Every PC/SC reader pcscd offers (PCSCLITE_CSOCK_NAME says which pcscd).

    `settle`, when given, is called before the readers are looked at: it waits until a virtual card put in or taken
    out is what pcscd reports (simulators.card.CardSlot.settle_quietly), so a card inserted while the citizen was
    still on earlier pages is there by the time the agent reads it, as a real card would be."""

    def __init__(self, settle: Callable[[], None] | None = None) -> None:
        self.settle = settle

    def readers(self) -> list[str]:
        if self.settle is not None:
            self.settle()
        try:
            return [str(reader) for reader in pcsc_readers()]
        except Exception:  # no pcscd, or no readers: the agent sees no reader, as the real one does
            return []

    @contextmanager
    def session(self, reader: str) -> Iterator[CardSession]:
        if self.settle is not None:
            self.settle()
        matches = [r for r in pcsc_readers() if str(r) == reader]
        if not matches:
            raise AgentError(Ret.READER_INFO)
        connection = matches[0].createConnection()
        try:
            connection.connect()
        except (NoCardException, CardConnectionException) as error:
            raise AgentError(Ret.NO_CARD) from error
        try:
            yield _PcscSession(connection)
        finally:
            try:
                connection.disconnect()
                connection.release()
            except CardConnectionException:
                pass  # the card was pulled out during the call


class _PcscSession:
    def __init__(self, connection: object) -> None:
        self.connection = connection

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        try:
            data, sw1, sw2 = self.connection.transmit(list(apdu))  # type: ignore[attr-defined]
        except CardConnectionException as error:  # removed mid-transaction: SCARD_W_REMOVED_CARD
            raise AgentError(Ret.NO_CARD) from error
        return bytes(data), (sw1 << 8) | sw2


class DirectTransport:
    """The card OS of a slot, called in-process: for machines without PC/SC (Settings: card_transport=direct)."""

    def __init__(self, slot: object) -> None:
        self.slot = slot

    def readers(self) -> list[str]:
        plugged = getattr(self.slot, "plugged", True)  # an unplugged reader is not listed
        return [str(self.slot.reader)] if plugged else []  # type: ignore[attr-defined]

    @contextmanager
    def session(self, reader: str) -> Iterator[CardSession]:
        card = self.slot.card  # type: ignore[attr-defined]
        if reader != self.slot.reader:  # type: ignore[attr-defined]
            raise AgentError(Ret.READER_INFO)
        if card is None:
            raise AgentError(Ret.NO_CARD)
        yield _DirectSession(card)


class _DirectSession:
    def __init__(self, card: object) -> None:
        self.card = card

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        try:
            response: bytes = self.card.execute(apdu)  # type: ignore[attr-defined]
        except CardPulledOut as error:
            raise AgentError(Ret.NO_CARD) from error
        return response[:-2], int.from_bytes(response[-2:], "big")


@dataclass(frozen=True, slots=True)
class CardCertificate:
    """One certificate as /pkcs11info lists it."""

    label: str
    usage: str
    cert: x509.Certificate

    def describe(self) -> dict[str, str]:
        """The fields integrators read (docs/protocols/hipki-agent.md#responses)."""
        subject = ",".join(f"{_short(a.oid)}={a.value!s}" for a in self.cert.subject)
        issuer = ",".join(f"{_short(a.oid)}={a.value!s}" for a in self.cert.issuer)
        names = self.cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
        return {
            "label": self.label,
            "usage": self.usage,
            "subjectDN": subject,
            "issuerDN": issuer,
            "subjectCN": str(names[0].value) if names else "",
            "subjectID": last4(self.cert),
            "sn": f"{self.cert.serial_number:x}",
            "notBefore": self.cert.not_valid_before_utc.strftime("%Y%m%d%H%M%SZ"),
            "notAfter": self.cert.not_valid_after_utc.strftime("%Y%m%d%H%M%SZ"),
            "certb64": base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode(),
        }


def _short(oid: x509.ObjectIdentifier) -> str:
    return {"2.5.4.6": "C", "2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.10": "O", "2.5.4.11": "OU"}.get(
        oid.dotted_string, oid.dotted_string
    )


def last4(cert: x509.Certificate) -> str:
    """身份證末4碼 from the Subject Directory Attributes (2.5.29.9 / 2.16.886.1.100.2.51), or ""."""
    try:
        extension = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(SUBJECT_DIRECTORY_ATTRIBUTES))
    except x509.ExtensionNotFound:
        return ""
    raw = extension.value.value  # type: ignore[attr-defined]
    return read_subject_directory_attributes(raw).get(LAST4_ID, "")


@dataclass(frozen=True, slots=True)
class Token:
    """What the agent learned from the card in one reader."""

    card_number: str
    signing: CardCertificate  # "cert1"
    encryption: CardCertificate  # "cert2"
    issuer: CardCertificate | None  # "CA Cert": the issuing CA's certificate, when the card carries it

    @property
    def certificates(self) -> tuple[CardCertificate, ...]:
        """In /pkcs11info's order: the CA's first (as in zkID's fixture), then the signing and encryption ones."""
        return (*([self.issuer] if self.issuer else []), self.signing, self.encryption)


def _ok(response: tuple[bytes, int], failure: Ret) -> bytes:
    data, sw = response
    if sw not in (0x9000, 0x6282):
        raise AgentError(failure)
    return data


def _select_and_read(session: CardSession, fid: int) -> bytes | None:
    """The whole EF `fid` by SELECT and READ BINARY; None when the card has no such file (6A82)."""
    data, sw = session.transmit(bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + fid.to_bytes(2, "big"))
    if sw == 0x6A82:
        return None
    _ok((data, sw), Ret.CERT_READ)
    content = b""
    while True:
        data, sw = session.transmit(bytes([0x00, 0xB0, len(content) >> 8, len(content) & 0xFF, 0xE0]))
        if sw not in (0x9000, 0x6282):
            raise AgentError(Ret.CERT_READ)
        content += data
        if sw == 0x6282 or not data:
            return content


def _certificate(session: CardSession, fid: int, label: str, usage: str) -> CardCertificate | None:
    der = _select_and_read(session, fid)
    return None if der is None else CardCertificate(label, usage, x509.load_der_x509_certificate(der))


def read_token(session: CardSession | LibrarySession) -> Token:
    """Select the MOICA application and read the card number, both certificates and the CA's (if the card has it)."""
    if (library := _library(session)) is not None:
        return library.read_token()
    assert isinstance(session, CardSession)
    _ok(session.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(MOICA_AID)]) + MOICA_AID), Ret.CERT_READ)
    number = _ok(session.transmit(bytes([0x00, 0xCA]) + DO_CARD_NUMBER.to_bytes(2, "big") + b"\x00"), Ret.CERT_READ)
    signing = _certificate(session, EF_SIGN_CERT, "cert1", "digitalSignature")
    encryption = _certificate(session, EF_ENC_CERT, "cert2", "keyEncipherment|dataEncipherment")
    if signing is None or encryption is None:
        raise AgentError(Ret.CERT_READ)
    return Token(
        number.decode("ascii"), signing, encryption, _certificate(session, EF_CA_CERT, "CA Cert", "keyCertSign|cRLSign")
    )


def check_validity(cert: x509.Certificate) -> None:
    """Refuse a certificate outside its validity, with HiPKI's codes."""
    now = datetime.now(UTC)
    if now < cert.not_valid_before_utc:
        raise AgentError(Ret.NOT_YET_VALID)
    if now > cert.not_valid_after_utc:
        raise AgentError(Ret.EXPIRED)


def login(session: CardSession | LibrarySession, pin: str) -> None:
    """VERIFY the PIN (ASCII, reference 81); wrong PIN → the tries-left codes."""
    if (library := _library(session)) is not None:
        return library.login(pin)
    assert isinstance(session, CardSession)
    _, sw = session.transmit(bytes([0x00, 0x20, 0x00, 0x81, len(pin)]) + pin.encode("ascii"))
    if sw != 0x9000:
        raise pin_status(sw)


def sign_digest(session: CardSession | LibrarySession, data: bytes) -> bytes:
    """PSO COMPUTE DIGITAL SIGNATURE over SHA-256(data): RSA PKCS#1 v1.5."""
    if (library := _library(session)) is not None:
        return library.sign_digest(data)
    assert isinstance(session, CardSession)
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
    signature, sw = session.transmit(bytes([0x00, 0x2A, 0x9E, 0x9A, len(digest_info)]) + digest_info + b"\x00")
    if sw != 0x9000:
        raise AgentError(Ret.SIGN_FAILED)
    return signature


def decipher(session: CardSession | LibrarySession, cryptogram: bytes) -> bytes:
    """PSO DECIPHER with the encryption key (extended-length APDU)."""
    if (library := _library(session)) is not None:
        return library.decipher(cryptogram)
    assert isinstance(session, CardSession)
    body = b"\x00" + cryptogram
    apdu = bytes([0x00, 0x2A, 0x80, 0x86, 0x00]) + len(body).to_bytes(2, "big") + body + b"\x00\x00"
    plain, sw = session.transmit(apdu)
    if sw != 0x9000:
        raise AgentError(Ret.DECRYPT_FAILED)
    return plain
