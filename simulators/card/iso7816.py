"""ISO/IEC 7816-4 status words as the virtual card answers them (APDU.md says which command gives which)."""

from __future__ import annotations

from enum import IntEnum


class SW(IntEnum):
    """Status words the card answers with (ISO 7816-4 §5.6)."""

    OK = 0x9000
    END_OF_FILE = 0x6282  # fewer bytes than Le before the end of the file
    WRONG_LENGTH = 0x6700
    SECURITY_STATUS = 0x6982  # PIN not verified
    PIN_BLOCKED = 0x6983  # retry counter at 0
    CONDITIONS = 0x6985  # e.g. the selected key cannot do that
    NO_CURRENT_EF = 0x6986  # command not allowed: no EF selected
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    WRONG_P1P2 = 0x6A86
    REFERENCE_NOT_FOUND = 0x6A88
    OFFSET_OUTSIDE = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00
