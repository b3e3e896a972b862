"""身分證字號 and 居留證 rules (docs/protocols/id-number.md), with the message a citizen sees for each broken rule."""

from __future__ import annotations

import pytest

from portal.idnumber import IdKind, IdNumberError, Sex, check_digit, is_valid_id_number, validate_id_number


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("A123456789", IdKind.NATIONAL),
        ("A223456781", IdKind.NATIONAL),
        ("W123456789", IdKind.NATIONAL),
        ("A800000014", IdKind.RESIDENT),
        ("A900000007", IdKind.RESIDENT),
        ("AA00000009", IdKind.RESIDENT_OLD),
        ("AC01234567", IdKind.RESIDENT_OLD),
    ],
)
def test_valid_numbers(value: str, kind: IdKind) -> None:
    assert validate_id_number(value) is kind


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("A123456788", "檢查碼錯誤"),
        ("I123456789", "檢查碼錯誤"),  # I = 34, not 18: the naive alphabet map is wrong after H
        ("Z123456781", "檢查碼錯誤"),
        ("A800000015", "檢查碼錯誤"),
        ("AA00000008", "檢查碼錯誤"),
        ("A323456789", "第 2 碼須為 1（男）或 2（女）"),
        ("A12345678", "應為 10 碼，目前為 9 碼"),
        ("A1234567890", "應為 10 碼，目前為 11 碼"),
        ("a123456789", "須為大寫"),
        ("1123456789", "第 1 碼須為英文字母"),
        ("A12345678X", "第 2 碼起須為數字"),
        (" A12345678", "前後不可有空白"),
        ("", "請輸入身分證字號"),
    ],
)
def test_invalid_numbers_say_why(value: str, message: str) -> None:
    with pytest.raises(IdNumberError, match=message):
        validate_id_number(value)
    assert not is_valid_id_number(value)


def test_gender_digit_must_match_the_stated_sex() -> None:
    assert validate_id_number("A123456789", Sex.MALE) is IdKind.NATIONAL
    with pytest.raises(IdNumberError, match=r"第 2 碼為 1，代表男性，與所填性別（女）不符"):
        validate_id_number("A123456789", Sex.FEMALE)
    with pytest.raises(IdNumberError, match="代表女性"):
        validate_id_number("A223456781", Sex.MALE)


def test_check_digit_completes_a_valid_number() -> None:
    assert check_digit("A12345678") == "9"
    assert check_digit("A80000001") == "4"
