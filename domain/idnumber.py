"""身分證字號 and 居留證號: the published rule (docs/protocols/id-number.md), in one place for every layer."""

from __future__ import annotations

import re
import string

# 身分證字號, written from the published rule (docs/protocols/id-number.md#national-id-number), never from the portal's
# code: the factory's numbers are valid by the standard, so a portal that checks them wrongly is caught, not copied.
# Letter codes A…Z as published: not alphabetical after H (I=34, O=35, W=32, X=30, Y=31, Z=33).
ID_LETTER_CODES = dict(
    zip(
        string.ascii_uppercase,
        (10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33),
        strict=True,
    )
)
ID_WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)  # over the letter's two digits, then the nine that follow
NATIONAL_ID = re.compile(r"[A-Z][12]\d{8}")  # second digit 1 male, 2 female (§6.1)
RESIDENT_ID = re.compile(r"[A-Z][89]\d{8}")  # 居留證號 since 2021: 8 male, 9 female, same letters and checksum (§6.2)


def id_checksum(number: str) -> int:
    """S for a letter and nine digits (docs/protocols/id-number.md): the number is valid when S is a multiple of 10."""
    code = ID_LETTER_CODES[number[0]]
    digits = [code // 10, code % 10, *map(int, number[1:])]
    return sum(digit * weight for digit, weight in zip(digits, ID_WEIGHTS, strict=True))


def with_check_digit(first_nine: str) -> str:
    """`first_nine` (a letter and eight digits) completed by the check digit that makes it valid."""
    return first_nine + str(-id_checksum(first_nine + "0") % 10)


def is_valid_id_number(value: str) -> bool:
    """A 身分證字號 or new-format 居留證號 whose format and checksum hold (docs/protocols/id-number.md)."""
    return bool(NATIONAL_ID.fullmatch(value) or RESIDENT_ID.fullmatch(value)) and id_checksum(value) % 10 == 0
