"""The virtual MOICA card itself: `execute(apdu) -> response`, ISO 7816-4/-8, plain Python and tested in-process.

Two applications share its keys, certificates and PIN: our MOICA-like one (selected at power-on) and a PIV one
(piv.py, NIST SP 800-73-4) that middleware written by others reads.

Built on vsmartcard's `SmartcardOS` (the card interface vpcd drives) and its `SwError` (subclassed: its message table
has no 63Cx entries). The APDU parser is our own: vsmartcard's `C_APDU` rejects a case-4 extended APDU whose Le is not
0000. Every command is in APDU.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from virtualsmartcard.VirtualSmartcard import SmartcardOS

from domain.masking import mask
from simulators.card.content import CardContent
from simulators.card.iso7816 import SW, Apdu, SwError
from simulators.card.piv import PIV_AID, PivApplication
from simulators.card.profile import (
    ATR,
    DO_CARD_NUMBER,
    EF_CA_CERT,
    EF_ENC_CERT,
    EF_SIGN_CERT,
    KEY_ENC,
    KEY_SIGN,
    MOICA_AID,
    PIN_REFERENCE,
    PIN_TRIES,
    PUK_TRIES,
)


class CardPulledOut(Exception):
    """The card leaves the reader in the middle of a command (CardFault.REMOVED_DURING_SIGNING)."""


SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")  # RFC 8017 §9.2 note 1
MASKED_INS = {0x20, 0x24, 0x2C}  # VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER carry PINs
PRIVATE_KEY_INS = {0x2A, 0x87}  # PSO (MOICA) and GENERAL AUTHENTICATE (PIV): where a card pulled out is noticed
MOICA, PIV = "MOICA", "PIV"  # the selected application


@dataclass(frozen=True, slots=True)
class Exchange:
    """One command and its response, PIN bytes masked, for the report."""

    at: str
    command: str
    response: str


def _pin(data: bytes) -> bytes:
    """A PIN as sent: ASCII digits, optionally right-padded with 0xFF to 8 bytes."""
    return data.rstrip(b"\xff")


class MoicaCardOS(PivApplication, SmartcardOS):  # type: ignore[misc]
    """The card's operating system: an instruction table per application, status words raised as SwError and
    answered in one place, one PIN state for both applications."""

    def __init__(self, content: CardContent) -> None:
        self.content = content
        self.lock = threading.Lock()
        self.transcript: list[Exchange] = []
        self.pin_tries = PIN_TRIES
        self.puk_tries = PUK_TRIES
        self.pull_out_before_signing = False
        self._moica_table: dict[int, Callable[[Apdu], bytes]] = {
            0xA4: self._select,
            0xB0: self._read_binary,
            0xCA: self._get_data,
            0x20: self._verify,
            0x24: self._change_pin,
            0x2C: self._reset_retry_counter,
            0x22: self._manage_security_environment,
            0x2A: self._perform_security_operation,
        }
        self._piv_table = {0xA4: self._select, **self.piv_instructions()}
        self.powerUp()

    # the SmartcardOS interface (vsmartcard's names)
    def getATR(self) -> bytes:
        return ATR

    def powerUp(self) -> None:
        self.reset()

    def powerDown(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Power-on state: the MOICA application selected, no EF, PIN not verified, default keys."""
        self.application = MOICA
        self.piv_reset()
        self.verified = self.signature_allowed = False
        self.current_ef: int | None = None
        self.sign_key_ref, self.decipher_key_ref = KEY_SIGN, KEY_ENC
        self.chained = b""

    def execute(self, msg: bytes) -> bytes:
        """Answer one command APDU; never an exception across the wire."""
        with self.lock:
            try:
                apdu = Apdu.parse(bytes(msg))
                if apdu.cla & ~0x10 != 0x00:  # plain interindustry class, chaining bit allowed
                    raise SwError(SW.CLA_NOT_SUPPORTED)
                handler = (self._piv_table if self.application == PIV else self._moica_table).get(apdu.ins)
                if handler is None:
                    raise SwError(SW.INS_NOT_SUPPORTED)
                if self.pull_out_before_signing and apdu.ins in PRIVATE_KEY_INS:
                    raise CardPulledOut
                response = handler(apdu)
            except CardPulledOut:
                raise
            except SwError as error:
                response = int(error.sw).to_bytes(2, "big")
            except Exception:  # a bug in the card must still answer like a card
                response = SW.NO_PRECISE_DIAGNOSIS.to_bytes(2, "big")
            masked = bytes(msg)[:5] + mask(bytes(msg)[5:]) if len(msg) > 5 and msg[1] in MASKED_INS else bytes(msg)
            self.transcript.append(
                Exchange(datetime.now(UTC).isoformat(timespec="milliseconds"), masked.hex(" "), response.hex(" "))
            )
            return response

    # instructions
    def _select(self, apdu: Apdu) -> bytes:
        if apdu.p1 == 0x04:  # by DF name (AID); the PIV AID may come right-truncated, down to its RID
            if len(apdu.data) >= 5 and PIV_AID.startswith(apdu.data):
                self.application, self.current_ef = PIV, None
                return self.piv_select()
            if apdu.data != MOICA_AID:
                raise SwError(SW.FILE_NOT_FOUND)
            self.application, self.current_ef = MOICA, None
            return SW.OK.to_bytes(2, "big")
        if self.application == PIV:
            raise SwError(SW.FILE_NOT_FOUND)  # the PIV application has no files
        if apdu.p1 in (0x00, 0x02) and apdu.p2 in (0x00, 0x04, 0x0C):  # by file identifier
            if len(apdu.data) != 2:
                raise SwError(SW.WRONG_LENGTH)
            fid = int.from_bytes(apdu.data, "big")
            if not self._file(fid):
                raise SwError(SW.FILE_NOT_FOUND)
            self.current_ef = fid
            size = len(self._file(fid))
            fci = bytes([0x62, 0x08, 0x80, 0x02]) + size.to_bytes(2, "big") + bytes([0x83, 0x02]) + apdu.data
            return (b"" if apdu.p2 == 0x0C else fci) + SW.OK.to_bytes(2, "big")
        raise SwError(SW.WRONG_P1P2)

    def _file(self, fid: int) -> bytes:
        """The content of the EF `fid`; b"" when the card has no such file."""
        files = {
            EF_SIGN_CERT: self.content.sign_cert_der,
            EF_ENC_CERT: self.content.enc_cert_der,
            EF_CA_CERT: self.content.ca_cert_der,
        }
        return files.get(fid, b"")

    def _read_binary(self, apdu: Apdu) -> bytes:
        if apdu.p1 & 0x80:
            raise SwError(SW.WRONG_P1P2)  # short-EF addressing is not offered
        if self.current_ef is None:
            raise SwError(SW.NO_CURRENT_EF)
        if apdu.le is None:
            raise SwError(SW.WRONG_LENGTH)
        content, offset = self._file(self.current_ef), (apdu.p1 << 8) | apdu.p2
        if offset > len(content):
            raise SwError(SW.OFFSET_OUTSIDE)
        chunk = content[offset : offset + apdu.le]
        status = SW.OK if len(chunk) == apdu.le else SW.END_OF_FILE
        return chunk + status.to_bytes(2, "big")

    def _get_data(self, apdu: Apdu) -> bytes:
        if (apdu.p1 << 8) | apdu.p2 != DO_CARD_NUMBER:
            raise SwError(SW.REFERENCE_NOT_FOUND)
        return self.content.card_number.encode("ascii") + SW.OK.to_bytes(2, "big")

    def _check_pin_reference(self, apdu: Apdu) -> None:
        if apdu.p1 != 0x00 or apdu.p2 != PIN_REFERENCE:
            raise SwError(SW.WRONG_P1P2)

    def _verify(self, apdu: Apdu) -> bytes:
        self._check_pin_reference(apdu)
        if self.pin_tries == 0:
            raise SwError(SW.PIN_BLOCKED)
        if not apdu.data:  # status query: tries left, or already verified
            if self.verified:
                return SW.OK.to_bytes(2, "big")
            raise SwError(0x63C0 | self.pin_tries)
        pin = _pin(apdu.data)
        if not 6 <= len(pin) <= 8:
            raise SwError(SW.WRONG_LENGTH)
        self._spend_or_reset_pin(pin)
        return SW.OK.to_bytes(2, "big")

    # the card's one PIN and PUK, for both applications
    def _spend_or_reset_pin(self, pin: bytes) -> None:
        """The right PIN: verified, the counter back to 3; a wrong one: a try spent, 63Cx raised."""
        if pin != self.content.pin.encode("ascii"):
            self.pin_tries -= 1
            self.verified = self.signature_allowed = False
            raise SwError(0x63C0 | self.pin_tries)
        self.pin_tries, self.verified, self.signature_allowed = PIN_TRIES, True, True

    def _set_pin(self, pin: bytes) -> None:
        """A new PIN (6–8 digits, checked by the caller), the counter back to 3."""
        self.content = replace(self.content, pin=pin.decode())
        self.pin_tries = PIN_TRIES

    def _use_puk(self, puk: bytes) -> None:
        """The right PUK unblocks (both counters back); a wrong one spends a PUK try, 63Cx raised."""
        if self.puk_tries == 0:
            raise SwError(SW.PIN_BLOCKED)
        if puk != self.content.puk.encode("ascii"):
            self.puk_tries -= 1
            raise SwError(0x63C0 | self.puk_tries)
        self.pin_tries, self.puk_tries = PIN_TRIES, PUK_TRIES

    def _change_pin(self, apdu: Apdu) -> bytes:
        """Old and new PIN, each FF-padded to 8 bytes (Lc 16)."""
        self._check_pin_reference(apdu)
        if len(apdu.data) != 16:
            raise SwError(SW.WRONG_LENGTH)
        if self.pin_tries == 0:
            raise SwError(SW.PIN_BLOCKED)
        old, new = _pin(apdu.data[:8]), _pin(apdu.data[8:])
        if not (6 <= len(new) <= 8 and new.isdigit()):
            raise SwError(SW.WRONG_DATA)
        self._spend_or_reset_pin(old)
        self._set_pin(new)
        return SW.OK.to_bytes(2, "big")

    def _reset_retry_counter(self, apdu: Apdu) -> bytes:
        """P1 00: PUK (8) + new PIN (8, FF-padded); P1 01: PUK only, the counter back to 3."""
        if apdu.p2 != PIN_REFERENCE or apdu.p1 not in (0x00, 0x01):
            raise SwError(SW.WRONG_P1P2)
        if len(apdu.data) != (16 if apdu.p1 == 0x00 else 8):
            raise SwError(SW.WRONG_LENGTH)
        new = _pin(apdu.data[8:]) if apdu.p1 == 0x00 else None
        if new is not None and not (6 <= len(new) <= 8 and new.isdigit()):
            raise SwError(SW.WRONG_DATA)
        self._use_puk(apdu.data[:8])
        if new is not None:
            self._set_pin(new)
        return SW.OK.to_bytes(2, "big")

    def _manage_security_environment(self, apdu: Apdu) -> bytes:
        """MSE SET: P1 41; P2 B6 (signature) or B8 (confidentiality); data `84 01 <key>` [`80 01 <alg>`]."""
        if apdu.p1 != 0x41 or apdu.p2 not in (0xB6, 0xB8):
            raise SwError(SW.WRONG_P1P2)
        tags, offset = {}, 0
        while offset + 2 <= len(apdu.data):
            tag, length = apdu.data[offset], apdu.data[offset + 1]
            tags[tag] = apdu.data[offset + 2 : offset + 2 + length]
            offset += 2 + length
        if offset != len(apdu.data) or 0x84 not in tags or len(tags[0x84]) != 1:
            raise SwError(SW.WRONG_DATA)
        key = tags[0x84][0]
        if key not in (KEY_SIGN, KEY_ENC):
            raise SwError(SW.REFERENCE_NOT_FOUND)
        if apdu.p2 == 0xB6:
            self.sign_key_ref = key
        else:
            self.decipher_key_ref = key
        return SW.OK.to_bytes(2, "big")

    def _perform_security_operation(self, apdu: Apdu) -> bytes:
        if apdu.cla & 0x10:  # command chaining (ISO 7816-4 §5.1.1.1): keep the part, wait for the last one
            self.chained += apdu.data
            return SW.OK.to_bytes(2, "big")
        data, self.chained = self.chained + apdu.data, b""
        if (apdu.p1, apdu.p2) == (0x9E, 0x9A):
            return self._sign(data)
        if (apdu.p1, apdu.p2) == (0x80, 0x86):
            return self._decipher(data)
        raise SwError(SW.WRONG_P1P2)

    def _sign(self, digest_info: bytes) -> bytes:
        """PSO COMPUTE DIGITAL SIGNATURE over a SHA-256 DigestInfo: RSA PKCS#1 v1.5 (docs/protocols/moica-card.md)."""
        if not self.verified:
            raise SwError(SW.SECURITY_STATUS)
        if self.sign_key_ref != KEY_SIGN:
            raise SwError(SW.CONDITIONS)  # the encryption key does not sign (keyUsage)
        if len(digest_info) != 51 or not digest_info.startswith(SHA256_DIGEST_INFO):
            raise SwError(SW.WRONG_DATA)
        signature = self.content.sign_key.sign(digest_info[19:], padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        return signature + SW.OK.to_bytes(2, "big")

    def _decipher(self, data: bytes) -> bytes:
        """PSO DECIPHER: padding indicator 00, then an RSA PKCS#1 v1.5 cryptogram for the encryption key."""
        if not self.verified:
            raise SwError(SW.SECURITY_STATUS)
        if self.decipher_key_ref != KEY_ENC:
            raise SwError(SW.CONDITIONS)
        if not data or data[0] != 0x00:
            raise SwError(SW.WRONG_DATA)
        try:
            plain = self.content.enc_key.decrypt(data[1:], padding.PKCS1v15())
        except ValueError as error:
            raise SwError(SW.WRONG_DATA) from error
        return plain + SW.OK.to_bytes(2, "big")

    # controls (what a test does to the card, not what a reader can)
    def set_pin_tries(self, tries: int) -> None:
        """Set the PIN retry counter (0 blocks the card)."""
        with self.lock:
            self.pin_tries = max(0, min(PIN_TRIES, tries))
