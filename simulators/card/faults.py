"""Card faults in ISO 7816 and PC/SC terms, and the card's fixed identifiers (our choices, documented in APDU.md)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class SW(IntEnum):
    """Status words the card answers with (ISO 7816-4 §5.6)."""

    OK = 0x9000
    END_OF_FILE = 0x6282  # fewer bytes than Le before the end of the file
    WRONG_LENGTH = 0x6700
    SECURITY_STATUS = 0x6982  # PIN not verified
    PIN_BLOCKED = 0x6983  # retry counter at 0
    CONDITIONS = 0x6985  # e.g. the selected key cannot do that
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    WRONG_P1P2 = 0x6A86
    REFERENCE_NOT_FOUND = 0x6A88
    OFFSET_OUTSIDE = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00


class CardFault(StrEnum):
    """What the card controls can make happen, each named by what a PC/SC client then sees."""

    PIN_BLOCKED = "pin_blocked"  # VERIFY → SW 6983 (retry counter at 0)
    REMOVED = "removed"  # the card leaves the slot: PC/SC reports SCARD_W_REMOVED_CARD
    REMOVED_DURING_SIGNING = "removed_during_signing"  # it leaves between VERIFY and PSO: the signature never comes
    REVOKED = "revoked"  # the signing certificate is revoked: OCSP says revoked, the CRL lists it
    EXPIRED = "expired"  # the certificates' notAfter is in the past
    NOT_YET_VALID = "not_yet_valid"  # the certificates' notBefore is in the future


# Our MOICA-like profile; the real HiCOS layout is not public (PROTOCOLS.md §5.7).
MOICA_AID = bytes.fromhex("D158000001") + b"MOICA"  # D + 158 (Taiwan's ISO 3166 number): a national RID
EF_SIGN_CERT = 0x1001
EF_ENC_CERT = 0x1002
DO_CARD_NUMBER = 0x0101  # GET DATA P1-P2
PIN_REFERENCE = 0x81
KEY_SIGN, KEY_ENC = 0x01, 0x02
PIN_TRIES, PUK_TRIES = 3, 10
ATR = bytes.fromhex("3B1A96") + b"TPCD-MOICA"  # direct convention, TA1, ten historical bytes, T=0 only (no TCK)
