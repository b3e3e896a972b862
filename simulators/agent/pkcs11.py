"""The agent reaching the card only through a PKCS#11 module, as a vendor's build does (`--pkcs11 MODULE`).

Readers are the module's slots (a slot's description is the PC/SC reader name), a card is a slot's token, the
certificates are the token's certificate objects, a signature is C_Sign (CKM_SHA256_RSA_PKCS) and a decryption
C_Decrypt (CKM_RSA_PKCS) with the private key of the same CKA_ID, and the PIN's tries left come from the token flags
after a failed C_Login: CKF_USER_PIN_LOCKED → locked, CKF_USER_PIN_FINAL_TRY → one try left, otherwise two (the
card's policy is 3 tries, as the MOICA card's). OpenSC's PIV driver learns the tries left but never the maximum, so it
never sets CKF_USER_PIN_COUNT_LOW: "wrong, neither final nor locked" is all a 3-try card can mean. With OpenSC's
module the card is read through its PIV application (simulators/card/APDU.md); the card number is the CHUID's GUID.

Which readers are attached comes from PC/SC's reader list, not the module's: OpenSC keeps the slot of a reader that
is gone (NSS cannot bear a shrinking slot list) and reports it as a slot without a token, exactly as an empty reader,
so an agent on OpenSC alone could never say 無可用讀卡機. The card itself is reached only through the module. A
failed C_Sign or C_Decrypt (OpenSC answers CKR_GENERAL_ERROR when the card leaves mid-command) is told apart from the
card being pulled out by asking the module whether the slot still holds a token.

When the PC/SC service comes back after it was gone, and when a new agent starts in a process that had the module
loaded, the module is started afresh (C_Finalize, C_Initialize): its readers and cards were the old service's, and
a card swapped meanwhile for another with the same ATR would pass for the old one.

python-pkcs11 releases the GIL around every PKCS#11 call, so the module may talk to a card served by a thread of
this same process (the agent simulator's own reader). Calls are serialised: a module is one card's middleware.
"""

from __future__ import annotations

import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from cryptography import x509
from pkcs11 import Attribute, Mechanism, ObjectClass, SlotFlag, TokenFlag
from pkcs11 import lib as load_module
from pkcs11.exceptions import (
    DeviceError,
    DeviceRemoved,
    NoSuchKey,
    PinIncorrect,
    PinLenRange,
    PinLocked,
    PKCS11Error,
    SessionClosed,
    SessionHandleInvalid,
    TokenNotPresent,
)
from pkcs11.types import DecryptMixin, Session, SignMixin, Slot, Token
from smartcard.System import readers as pcsc_readers

from simulators.agent.codes import AgentError, Minor, Ret
from simulators.agent.tokens import CardCertificate
from simulators.agent.tokens import Token as CardToken
from simulators.card.ber_tlv import read_tlv

# Where Debian's opensc-pkcs11 puts OpenSC's module, for this machine's architecture.
OPENSC_MODULE = Path("/usr/lib") / (sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu") / "opensc-pkcs11.so"
CHUID_LABEL = "Card Holder Unique Identifier"  # the data object OpenSC's PIV emulation names so
_STARTED: set[str] = set()  # modules an agent of this process has started (python-pkcs11 keeps each loaded)
GONE = (DeviceRemoved, TokenNotPresent, SessionHandleInvalid, SessionClosed, DeviceError)  # the card left the reader


def _no_card(error: Exception) -> bool:
    return isinstance(error, GONE)


class Pkcs11Transport:
    """Every slot of one PKCS#11 module; `settle` as for PcscTransport (wait until the virtual reader shows the last
    change made to it)."""

    session_class: type[Pkcs11Session]  # what one session on a token is (set below the class)

    def __init__(self, module: str, settle: Callable[[], None] | None = None) -> None:
        try:
            self.module = load_module(module)
            if module in _STARTED:  # a module stays loaded for the process: start its state afresh for this agent
                self.module.reinitialize()
        except (OSError, RuntimeError, PKCS11Error) as error:
            raise ValueError(f"--pkcs11 {module}: not a PKCS#11 module this agent can load ({error})") from error
        _STARTED.add(module)
        self.path, self.settle = module, settle
        self._lock = threading.RLock()
        self._service_lost = False  # PC/SC was gone: the module's view of readers and cards is stale

    def _slots(self) -> list[Slot]:
        """C_GetSlotList(FALSE, NULL…) first: the module looks for readers and cards again."""
        if self.settle is not None:
            self.settle()
        try:
            return list(self.module.get_slots(token_present=False))
        except PKCS11Error:
            return []  # no PC/SC service (the last reader unplugged): no slot, as the module reports it

    def readers(self) -> list[str]:
        with self._lock:
            attached = _attached_readers()
            if not attached:
                self._service_lost = True
            elif self._service_lost:
                # The smart-card service came back (a reader plugged in again): C_Finalize and C_Initialize, as a
                # vendor build restarts its middleware, since the module's readers and cards are the old service's.
                self._service_lost = False
                with suppress(PKCS11Error):
                    self.module.reinitialize()
            names: list[str] = []
            for slot in self._slots():
                name = slot.slot_description.strip()
                if name in attached and name not in names:
                    names.append(name)
            return names

    def holds_token(self, reader: str) -> bool:
        """Whether the module reports a token in `reader`'s slot now."""
        with self._lock:
            return any(
                slot.flags & SlotFlag.TOKEN_PRESENT for slot in self._slots() if slot.slot_description.strip() == reader
            )

    def card_left(self, reader: str, *, within: float = 3.0) -> bool:
        """Whether the card leaves `reader` within `within` seconds (the reader reports it at its next poll)."""
        deadline = time.monotonic() + within
        while self.holds_token(reader):
            if time.monotonic() > deadline:
                return False
            threading.Event().wait(0.1)  # the module looks at the reader again on the next C_GetSlotList
        return True

    @contextmanager
    def session(self, reader: str) -> Iterator[Pkcs11Session]:
        with self._lock:
            slots = [slot for slot in self._slots() if slot.slot_description.strip() == reader]
            if not slots:
                raise AgentError(Ret.READER_INFO)
            present = [slot for slot in slots if slot.flags & SlotFlag.TOKEN_PRESENT]
            if not present:
                raise AgentError(Ret.NO_CARD)
            try:
                token = present[0].get_token()
                opened = self.session_class(token, token.open(), lambda: self.card_left(reader))
            except PKCS11Error as error:
                raise AgentError(Ret.NO_CARD if _no_card(error) else Ret.CERT_READ) from error
            try:
                yield opened
            finally:
                opened.close()


class Pkcs11Session:
    """One PKCS#11 session on the card's token: what tokens.py's functions ask of a library session."""

    def __init__(self, token: Token, session: Session, card_left: Callable[[], bool]) -> None:
        self.token, self.session, self.card_left = token, session, card_left
        self.pin: str | None = None

    def _failure(self, error: PKCS11Error, otherwise: Ret) -> AgentError:
        """A failed operation in HiPKI's codes: NO_CARD when the card left the reader, else `otherwise`."""
        return AgentError(Ret.NO_CARD if _no_card(error) or self.card_left() else otherwise)

    def close(self) -> None:
        """Close the session (logging out); a card already gone has nothing left to close."""
        with suppress(PKCS11Error):
            self.session.close()

    def _certificates(self) -> list[tuple[bytes, x509.Certificate]]:
        """(CKA_ID, certificate) of every certificate object, in the token's order."""
        found = []
        try:
            for item in self.session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                found.append((bytes(item[Attribute.ID]), x509.load_der_x509_certificate(bytes(item[Attribute.VALUE]))))
        except PKCS11Error as error:
            raise AgentError(Ret.NO_CARD if _no_card(error) else Ret.CERT_READ) from error
        return found

    def _by_usage(self, signing: bool) -> tuple[list[bytes], x509.Certificate]:
        """The certificate for signatures (keyUsage digitalSignature) or for encryption (keyEncipherment), and the
        CKA_IDs it is stored under (a PIV card holds the signing certificate for 9A and 9C alike)."""
        matches = [(key_id, cert) for key_id, cert in self._certificates() if _usage(cert, signing)]
        if not matches:
            raise AgentError(Ret.CERT_READ)
        chosen = matches[0][1]
        return [key_id for key_id, cert in matches if cert == chosen], chosen

    def _card_number(self) -> str:
        """The CHUID's GUID as text (the card's profile, APDU.md), else the token's serial number."""
        with suppress(PKCS11Error, ValueError, UnicodeDecodeError):
            for item in self.session.get_objects({Attribute.CLASS: ObjectClass.DATA, Attribute.LABEL: CHUID_LABEL}):
                _, body, _ = read_tlv(bytes(item[Attribute.VALUE]))
                offset = 0
                while offset < len(body):
                    tag, value, offset = read_tlv(body, offset)
                    if tag == 0x34:
                        return value.rstrip(b"\x00").decode("ascii")
        return str(self.token.serial.decode("ascii", errors="replace")).strip()

    def read_token(self) -> CardToken:
        """The card number and the signing and encryption certificates; a PIV card carries no CA certificate."""
        _, signing = self._by_usage(True)
        _, encryption = self._by_usage(False)
        return CardToken(
            self._card_number(),
            CardCertificate("cert1", "digitalSignature", signing),
            CardCertificate("cert2", "keyEncipherment|dataEncipherment", encryption),
            None,
        )

    def login(self, pin: str) -> None:
        """C_Login as the user; a refusal in HiPKI's codes, the tries left read from the token flags."""
        self.close()
        try:
            self.session = self.token.open(user_pin=pin)
        except PinLocked as error:
            raise AgentError(Ret.LOGIN_FAILED, Minor.PIN_LOCKED) from error
        except PinLenRange as error:
            raise AgentError(Ret.LOGIN_FAILED, Minor.PIN_LEN_RANGE) from error
        except PinIncorrect as error:
            raise self.tries_left() from error
        except PKCS11Error as error:
            raise AgentError(Ret.NO_CARD if _no_card(error) else Ret.LOGIN_FAILED, Minor.NONE) from error
        self.pin = pin

    def tries_left(self) -> AgentError:
        """What a wrong PIN answers, from the token flags C_GetTokenInfo gives now."""
        try:
            flags = self.token.slot.get_token().flags
        except PKCS11Error as error:
            return AgentError(Ret.NO_CARD if _no_card(error) else Ret.LOGIN_FAILED, Minor.PIN_INCORRECT)
        if flags & TokenFlag.USER_PIN_LOCKED:
            return AgentError(Ret.LOGIN_FAILED, Minor.PIN_LOCKED)
        if flags & TokenFlag.USER_PIN_FINAL_TRY:
            return AgentError(Ret.LOGIN_FAILED, Minor.ONE_TRY_LEFT)
        return AgentError(Ret.LOGIN_FAILED, Minor.TWO_TRIES_LEFT)

    def _private_key(self, signing: bool) -> Any:
        """The private key stored with the certificate's CKA_ID: for signatures the one the token marks "PIN
        always" (PIV 9C, the digital-signature key) when there is one."""
        ids, _ = self._by_usage(signing)
        keys = []
        for key_id in ids:
            with suppress(NoSuchKey):
                keys.append(self.session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id))
        if not keys:
            raise AgentError(Ret.SIGN_FAILED if signing else Ret.DECRYPT_FAILED)
        if signing:
            keys.sort(key=lambda key: not _always_authenticate(key))
        return keys[0]

    def sign_digest(self, data: bytes) -> bytes:
        """C_Sign with CKM_SHA256_RSA_PKCS (RSA PKCS#1 v1.5 over SHA-256(data)); a "PIN always" key gets its
        context-specific login with the PIN just given."""
        try:
            key = self._private_key(True)
            assert isinstance(key, SignMixin)
            pin = self.pin if _always_authenticate(key) else None
            return bytes(key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS, pin=pin))
        except PKCS11Error as error:
            raise self._failure(error, Ret.SIGN_FAILED) from error

    def decipher(self, cryptogram: bytes) -> bytes:
        """C_Decrypt with CKM_RSA_PKCS and the encryption key."""
        try:
            key = self._private_key(False)
            assert isinstance(key, DecryptMixin)
            plain = key.decrypt(cryptogram, mechanism=Mechanism.RSA_PKCS)
            assert isinstance(plain, bytes)
            return plain
        except PKCS11Error as error:
            raise self._failure(error, Ret.DECRYPT_FAILED) from error


Pkcs11Transport.session_class = Pkcs11Session


def _attached_readers() -> set[str]:
    """The readers PC/SC lists now; none without a PC/SC service."""
    try:
        return {str(reader) for reader in pcsc_readers()}
    except Exception:  # no pcscd (the last reader unplugged): pyscard raises its own errors for that
        return set()


def _usage(cert: x509.Certificate, signing: bool) -> bool:
    """Whether the certificate's keyUsage is for signatures (digitalSignature) or encryption (keyEncipherment)."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(usage.digital_signature if signing else usage.key_encipherment)


def _always_authenticate(key: Any) -> bool:
    try:
        return bool(key[Attribute.ALWAYS_AUTHENTICATE])
    except PKCS11Error:
        return False
