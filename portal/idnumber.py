"""身分證字號 and 居留證 (ARC) checks (docs/protocols/id-number.md), shared by the portal, the card and the citizen
factory.

The portal lives here because it is the component that must refuse a bad number; the harness imports it downwards.
"""

from __future__ import annotations

import re
from enum import StrEnum

# Letter → two-digit code. Not alphabetical after H: I=34, O=35, W=32, X=30, Y=31, Z=33
# (docs/protocols/id-number.md#national-id-number).
LETTER_CODES: dict[str, int] = {letter: index + 10 for index, letter in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO")}
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)

_NATIONAL = re.compile(r"[A-Z][12]\d{8}")
_NEW_ARC = re.compile(r"[A-Z][89]\d{8}")
_OLD_ARC = re.compile(r"[A-Z]{2}\d{8}")


class IdKind(StrEnum):
    """Which document a valid number belongs to."""

    NATIONAL = "身分證"
    RESIDENT = "居留證"
    RESIDENT_OLD = "居留證（舊式）"


class Sex(StrEnum):
    """性別 as the ID number encodes it: 1 or 8 male, 2 or 9 female."""

    MALE = "男"
    FEMALE = "女"


GENDER_DIGITS = {Sex.MALE: ("1", "8"), Sex.FEMALE: ("2", "9")}


class IdNumberError(ValueError):
    """A number that is not a valid 身分證字號 or 居留證號; the message says exactly why, in Chinese."""


def _checksum(digits: list[int]) -> int:
    return sum(d * w for d, w in zip(digits, WEIGHTS, strict=True))


def _expand(value: str) -> list[int]:
    code = LETTER_CODES[value[0]]
    # Old ARC: the second letter stands for (its code mod 10).
    rest = [LETTER_CODES[value[1]] % 10, *map(int, value[2:])] if value[1].isalpha() else list(map(int, value[1:]))
    return [code // 10, code % 10, *rest]


def check_digit(first_nine: str) -> str:
    """The tenth character that makes `first_nine` (letter + 8 digits) a valid number."""
    partial = _checksum([*_expand(first_nine + "0")])
    return str((10 - partial % 10) % 10)


def validate_id_number(value: str, sex: Sex | None = None) -> IdKind:
    """Return the kind of a valid number, or raise IdNumberError naming the first rule it breaks.

    :param sex: when given, the gender digit must agree with it (a new-format number only).
    """
    if not isinstance(value, str) or not value:
        raise IdNumberError("請輸入身分證字號")
    if value != value.strip():
        raise IdNumberError("身分證字號前後不可有空白")
    if len(value) != 10:
        raise IdNumberError(f"身分證字號應為 10 碼，目前為 {len(value)} 碼")
    if value[0].islower() or value[1].islower():
        raise IdNumberError("身分證字號的英文字母須為大寫")
    if not ("A" <= value[0] <= "Z"):
        raise IdNumberError("身分證字號第 1 碼須為英文字母")
    if _NATIONAL.fullmatch(value):
        kind = IdKind.NATIONAL
    elif _NEW_ARC.fullmatch(value):
        kind = IdKind.RESIDENT
    elif _OLD_ARC.fullmatch(value):
        kind = IdKind.RESIDENT_OLD
    elif value[1].isdigit() and value[2:].isdigit():
        raise IdNumberError("身分證字號第 2 碼須為 1（男）或 2（女）；居留證為 8 或 9")
    else:
        raise IdNumberError("身分證字號第 2 碼起須為數字")
    if _checksum(_expand(value)) % 10 != 0:
        raise IdNumberError("身分證字號檢查碼錯誤，請確認是否輸入正確")
    if sex is not None and kind is not IdKind.RESIDENT_OLD and value[1] not in GENDER_DIGITS[sex]:
        other = Sex.FEMALE if sex is Sex.MALE else Sex.MALE
        raise IdNumberError(f"身分證字號第 2 碼為 {value[1]}，代表{other.value}性，與所填性別（{sex.value}）不符")
    return kind


def is_valid_id_number(value: str) -> bool:
    """True when `value` passes validate_id_number."""
    try:
        validate_id_number(value)
    except IdNumberError:
        return False
    return True
