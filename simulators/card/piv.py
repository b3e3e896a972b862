"""The card's PIV application (NIST SP 800-73-4), beside the MOICA one, so middleware nobody here wrote can read it.

OpenSC, Windows' built-in PIV minidriver and macOS's CryptoTokenKit read a PIV card without a vendor driver; the
MOICA-like application's layout is ours, so no middleware reads that one. Both applications hold the same keys and
certificates and share the card's one PIN, its retry counter and its PUK: a wrong PIN in either spends a try of both.
Part 2 of SP 800-73-4 is the source (§3.1 SELECT, §3.2 GET DATA, §3.2.1 VERIFY, §3.2.2 CHANGE REFERENCE DATA, §3.2.3
RESET RETRY COUNTER, §3.2.4 GENERAL AUTHENTICATE; Part 1 §3.1 the data objects); APDU.md lists every command.

A mixin of the card OS (card_os.MoicaCardOS): it reads and changes the card's PIN state through the card's own
attributes and `_spend_or_reset_pin`, so the two applications cannot disagree about the PIN.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from simulators.card.ber_tlv import read_tlv, tlv
from simulators.card.content import CardContent
from simulators.card.iso7816 import SW, Apdu, SwError

PIV_AID = bytes.fromhex("A000000308000010000100")  # NIST RID A0 00 00 03 08, PIX 00 00 10 00 01 00 (Part 1 §2.2)
PIV_AID_SHORT = PIV_AID[:5]  # a SELECT may name the AID right-truncated, down to the RID (ISO 7816-4 §8.2.2.2)
PIV_PIN, PIV_PUK = 0x80, 0x81  # key references of the PIV Card Application PIN and the PUK (Part 1 Table 4)
ALG_RSA_2048 = 0x07  # cryptographic mechanism identifier (SP 800-78-4 Table 6-2)
KEY_AUTHENTICATION, KEY_SIGNATURE, KEY_MANAGEMENT = 0x9A, 0x9C, 0x9D  # key references (SP 800-78-4 Table 6-1)
TAG_CHUID, TAG_DISCOVERY = 0x5FC102, 0x7E  # BER-TLV tags of the data objects (Part 1 Table 3)
TAG_CERTIFICATES = {0x5FC105: KEY_AUTHENTICATION, 0x5FC10A: KEY_SIGNATURE, 0x5FC10B: KEY_MANAGEMENT}
CERT_INFO_UNCOMPRESSED = b"\x00"  # CertInfo (tag 71): the certificate is not compressed
PIN_POLICY = bytes([0x40, 0x00])  # discovery object tag 5F2F: the PIV Card Application PIN, no global PIN
FASC_N_AGENCY = "9999"  # "not a federal agency": OpenSC then names the card by the CHUID's GUID (Part 1 §3.1.2)


def _fasc_n(credential: str, person: str) -> bytes:
    """A FASC-N (TIG SCEPACS §6): 40 characters of 5 bits (4 data bits least significant first, odd parity)."""
    characters = [0b1011]  # start sentinel
    fields = [FASC_N_AGENCY, "0000", credential.rjust(6, "0")[-6:], "1", "1"]
    for digits in fields:
        characters += [int(d) for d in digits] + [0b1101]  # each field, then a field separator
    characters += [int(d) for d in person.rjust(10, "0")[-10:]] + [1] + [int(d) for d in FASC_N_AGENCY] + [1]
    characters.append(0b1111)  # end sentinel
    lrc = 0
    for value in characters:
        lrc ^= value
    characters.append(lrc)
    bits = ""
    for value in characters:
        data = f"{value:04b}"[::-1]
        bits += data + ("0" if data.count("1") % 2 else "1")
    return int(bits, 2).to_bytes(25, "big")


def chuid(card_number: str, expires: datetime) -> bytes:
    """The Card Holder Unique Identifier (Part 1 Table 9): FASC-N, the GUID (the card number's 16 ASCII bytes, our
    choice, so middleware's card serial is the MOICA card number), expiry, an empty issuer signature, the LRC."""
    digits = "".join(c for c in card_number if c.isdigit())
    guid = card_number.encode("ascii").ljust(16, b"\x00")[:16]
    body = (
        tlv(0x30, _fasc_n(digits[-6:], digits[-10:]))
        + tlv(0x34, guid)
        + tlv(0x35, expires.strftime("%Y%m%d").encode("ascii"))
        + tlv(0x3E, b"")
        + tlv(0xFE, b"")
    )
    return tlv(0x53, body)


def discovery_object() -> bytes:
    """The discovery object (Part 1 Table 18): the PIV AID and the PIN usage policy."""
    return tlv(TAG_DISCOVERY, tlv(0x4F, PIV_AID) + b"\x5f\x2f" + bytes([len(PIN_POLICY)]) + PIN_POLICY)


def application_property_template() -> bytes:
    """SELECT's answer (Part 2 Table 3): the PIX, the tag allocation authority, a label, RSA 2048."""
    algorithms = tlv(0x80, bytes([ALG_RSA_2048])) + tlv(0x06, b"\x00")
    return tlv(
        0x61,
        tlv(0x4F, PIV_AID[5:]) + tlv(0x79, tlv(0x4F, PIV_AID_SHORT)) + tlv(0x50, b"TPCD PIV") + tlv(0xAC, algorithms),
    )


def certificate_object(der: bytes) -> bytes:
    """An X.509 certificate data object (Part 1 Table 10): the certificate, CertInfo, the LRC."""
    return tlv(0x53, tlv(0x70, der) + tlv(0x71, CERT_INFO_UNCOMPRESSED) + tlv(0xFE, b""))


def _raw_rsa(key: rsa.RSAPrivateKey, block: bytes) -> bytes:
    """The RSA private-key operation on one modulus-sized block (GENERAL AUTHENTICATE's "RSA raw")."""
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    m = int.from_bytes(block, "big")
    if len(block) != key.key_size // 8 or m >= n:
        raise SwError(SW.WRONG_DATA)
    m1, m2 = pow(m, numbers.dmp1, numbers.p), pow(m, numbers.dmq1, numbers.q)
    h = numbers.iqmp * (m1 - m2) % numbers.p
    return (m2 + h * numbers.q).to_bytes(key.key_size // 8, "big")


class PivApplication:
    """The PIV Card Application's instructions, as a mixin of the card OS that owns the PIN state."""

    if TYPE_CHECKING:
        content: CardContent
        pin_tries: int
        puk_tries: int
        verified: bool
        signature_allowed: bool  # a VERIFY since the last 9C signature ("PIN Always")

        def _spend_or_reset_pin(self, pin: bytes) -> None: ...
        def _set_pin(self, pin: bytes) -> None: ...
        def _use_puk(self, puk: bytes) -> None: ...

    pending: bytes  # what GET RESPONSE still has to give (response chaining, ISO 7816-4 §5.1.3)
    piv_chained: bytes  # the parts of a chained GENERAL AUTHENTICATE so far

    def piv_instructions(self) -> dict[int, Callable[[Apdu], bytes]]:
        """INS → handler while the PIV application is selected (SELECT itself is the card OS's)."""
        return {
            0xCB: self._piv_get_data,
            0x20: self._piv_verify,
            0x24: self._piv_change_reference_data,
            0x2C: self._piv_reset_retry_counter,
            0x87: self._piv_general_authenticate,
            0xC0: self._piv_get_response,
        }

    def piv_reset(self) -> None:
        """Power-on state of the PIV application's buffers."""
        self.pending, self.piv_chained = b"", b""

    def piv_select(self) -> bytes:
        """SELECT by the PIV AID: the application property template."""
        self.piv_reset()
        return self.piv_answer(Apdu(0, 0xA4, 0x04, 0x00, le=256), application_property_template())

    def piv_answer(self, apdu: Apdu, data: bytes) -> bytes:
        """`data` + 9000, or its first Le bytes + 61xx and the rest kept for GET RESPONSE."""
        room = apdu.le or 256
        if len(data) <= room:
            self.pending = b""
            return data + SW.OK.to_bytes(2, "big")
        self.pending = data[room:]
        return data[:room] + bytes([0x61, min(len(self.pending), 256) & 0xFF])

    def _piv_get_response(self, apdu: Apdu) -> bytes:
        if (apdu.p1, apdu.p2) != (0x00, 0x00):
            raise SwError(SW.WRONG_P1P2)
        if not self.pending:
            raise SwError(SW.CONDITIONS)
        return self.piv_answer(apdu, self.pending)

    def _piv_objects(self) -> dict[int, bytes]:
        """Every data object the card holds, by tag; all of them readable without the PIN (Part 1 Table 3)."""
        content = self.content
        expires = x509.load_der_x509_certificate(content.sign_cert_der).not_valid_after_utc
        by_key = {
            KEY_AUTHENTICATION: content.sign_cert_der,
            KEY_SIGNATURE: content.sign_cert_der,
            KEY_MANAGEMENT: content.enc_cert_der,
        }
        objects = {tag: certificate_object(by_key[key]) for tag, key in TAG_CERTIFICATES.items()}
        return objects | {TAG_CHUID: chuid(content.card_number, expires), TAG_DISCOVERY: discovery_object()}

    def _piv_get_data(self, apdu: Apdu) -> bytes:
        """GET DATA, P1-P2 3FFF, data `5C <len> <tag>` (Part 2 §3.1.2)."""
        if (apdu.p1, apdu.p2) != (0x3F, 0xFF):
            raise SwError(SW.WRONG_P1P2)
        try:
            tag, value, end = read_tlv(apdu.data)
        except ValueError as error:
            raise SwError(SW.WRONG_DATA) from error
        if tag != 0x5C or end != len(apdu.data) or not 1 <= len(value) <= 3:
            raise SwError(SW.WRONG_DATA)
        found = self._piv_objects().get(int.from_bytes(value, "big"))
        if found is None:
            raise SwError(SW.FILE_NOT_FOUND)
        return self.piv_answer(apdu, found)

    def _piv_pin(self, data: bytes) -> bytes:
        """An 8-byte PIN field: 6–8 ASCII digits padded with FF (Part 2 §3.2.1); 6A80 otherwise, no try spent."""
        pin = data.rstrip(b"\xff")
        if len(data) != 8 or not 6 <= len(pin) <= 8 or not pin.isdigit():
            raise SwError(SW.WRONG_DATA)
        return pin

    def _piv_verify(self, apdu: Apdu) -> bytes:
        """VERIFY (Part 2 §3.2.1): P1 00 checks the PIN (no data: its status), P1 FF forgets a verified PIN."""
        if apdu.p1 not in (0x00, 0xFF):
            raise SwError(SW.WRONG_P1P2)
        if apdu.p2 != PIV_PIN:
            raise SwError(SW.REFERENCE_NOT_FOUND)
        if apdu.p1 == 0xFF:
            if apdu.data:
                raise SwError(SW.WRONG_LENGTH)
            self.verified = self.signature_allowed = False
            return SW.OK.to_bytes(2, "big")
        if self.pin_tries == 0:
            raise SwError(SW.PIN_BLOCKED)
        if not apdu.data:
            if self.verified:
                return SW.OK.to_bytes(2, "big")
            raise SwError(0x63C0 | self.pin_tries)
        self._spend_or_reset_pin(self._piv_pin(apdu.data))
        return SW.OK.to_bytes(2, "big")

    def _piv_change_reference_data(self, apdu: Apdu) -> bytes:
        """CHANGE REFERENCE DATA (Part 2 §3.2.2), P2 80: the old PIN then the new one, 8 bytes each."""
        if apdu.p1 != 0x00 or apdu.p2 != PIV_PIN:
            raise SwError(SW.WRONG_P1P2)
        if len(apdu.data) != 16:
            raise SwError(SW.WRONG_DATA)
        if self.pin_tries == 0:
            raise SwError(SW.PIN_BLOCKED)
        new = self._piv_pin(apdu.data[8:])
        self._spend_or_reset_pin(self._piv_pin(apdu.data[:8]))
        self._set_pin(new)
        return SW.OK.to_bytes(2, "big")

    def _piv_reset_retry_counter(self, apdu: Apdu) -> bytes:
        """RESET RETRY COUNTER (Part 2 §3.2.3), P2 80: the PUK then a new PIN, 8 bytes each."""
        if apdu.p1 != 0x00 or apdu.p2 != PIV_PIN:
            raise SwError(SW.WRONG_P1P2)
        if len(apdu.data) != 16:
            raise SwError(SW.WRONG_DATA)
        new = self._piv_pin(apdu.data[8:])
        self._use_puk(apdu.data[:8])
        self._set_pin(new)
        return SW.OK.to_bytes(2, "big")

    def _piv_general_authenticate(self, apdu: Apdu) -> bytes:
        """GENERAL AUTHENTICATE (Part 2 §3.2.4) with RSA 2048: `7C { 82 00, 81 <block> }` → `7C { 82 <result> }`.

        9A and 9D need the PIN verified since power-on; 9C needs it verified again for each use ("PIN Always",
        Part 1 §3.3.2): a VERIFY allows one 9C signature, the PIN staying verified for the other keys."""
        if apdu.cla & 0x10:  # command chaining: keep the part, wait for the last one
            self.piv_chained += apdu.data
            return SW.OK.to_bytes(2, "big")
        data, self.piv_chained = self.piv_chained + apdu.data, b""
        keys = {
            KEY_AUTHENTICATION: self.content.sign_key,
            KEY_SIGNATURE: self.content.sign_key,
            KEY_MANAGEMENT: self.content.enc_key,
        }
        if apdu.p1 != ALG_RSA_2048 or apdu.p2 not in keys:
            raise SwError(SW.WRONG_P1P2)
        try:
            tag, template, end = read_tlv(data)
            fields: dict[int, bytes] = {}
            offset = 0
            while offset < len(template):
                inner, value, offset = read_tlv(template, offset)
                fields[inner] = value
        except ValueError as error:
            raise SwError(SW.WRONG_DATA) from error
        if tag != 0x7C or end != len(data) or fields.get(0x82) != b"" or 0x81 not in fields:
            raise SwError(SW.WRONG_DATA)
        if not self.verified or (apdu.p2 == KEY_SIGNATURE and not self.signature_allowed):
            raise SwError(SW.SECURITY_STATUS)
        result = _raw_rsa(keys[apdu.p2], fields[0x81])
        if apdu.p2 == KEY_SIGNATURE:
            self.signature_allowed = False
        return self.piv_answer(apdu, tlv(0x7C, tlv(0x82, result)))
