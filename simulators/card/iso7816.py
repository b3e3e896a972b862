"""ISO/IEC 7816-4 as the virtual card speaks it: command APDUs parsed, status words (APDU.md says which gives which)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from virtualsmartcard.SWutils import SW_MESSAGES
from virtualsmartcard.SWutils import SwError as VsmartcardSwError


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


class SwError(VsmartcardSwError):  # type: ignore[misc]
    """vsmartcard's status-word error, for any status word: its table has no 63Cx (tries left) entries."""

    def __init__(self, sw: int) -> None:
        Exception.__init__(self, f"{sw:04X}")
        self.sw = sw
        self.message = SW_MESSAGES.get(sw, f"status word {sw:04X}")


@dataclass(frozen=True, slots=True)
class Apdu:
    """A parsed command APDU (ISO 7816-4 §5.1, short and extended length)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # None: no Le field; otherwise the number of bytes expected (0 coded as 256/65536)

    @classmethod
    def parse(cls, raw: bytes) -> Apdu:
        """Parse or raise SwError(6700) for a malformed length."""
        if len(raw) < 4:
            raise SwError(SW.WRONG_LENGTH)
        cla, ins, p1, p2, body = raw[0], raw[1], raw[2], raw[3], raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        if body[0] == 0 and len(body) >= 3:  # extended length
            if len(body) == 3:
                return cls(cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or 65536)
            lc = int.from_bytes(body[1:3], "big")
            if len(body) == 3 + lc:
                return cls(cla, ins, p1, p2, body[3:])
            if len(body) == 5 + lc:
                return cls(cla, ins, p1, p2, body[3 : 3 + lc], int.from_bytes(body[-2:], "big") or 65536)
            raise SwError(SW.WRONG_LENGTH)
        lc = body[0]
        if lc and len(body) == 1 + lc:
            return cls(cla, ins, p1, p2, body[1:])
        if lc and len(body) == 2 + lc:
            return cls(cla, ins, p1, p2, body[1:-1], body[-1] or 256)
        raise SwError(SW.WRONG_LENGTH)
