"""The portal's password and basic-data rules, as the server applies them whatever the page's script did."""

from __future__ import annotations

from datetime import date

import pytest

from portal.passwords import RULES, check_password, hash_password, unmet
from portal.routes.profile import check_profile

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Ab1cd", ["length"]),
        ("Abcdefghijk1234567890", ["length"]),
        ("abcdefg12", ["upper"]),
        ("ABCDEFG12", ["lower"]),
        ("Abcdefghij", ["digit"]),
        ("", ["length", "upper", "lower", "digit"]),
        ("Abcdefg1", []),
    ],
)
def test_password_rules(password: str, broken: list[str]) -> None:
    assert [rule.key for rule in unmet(password)] == broken


def test_rules_are_listed_in_chinese_for_the_page() -> None:
    assert [rule.label for rule in RULES] == [
        "長度 8 至 20 個字元",
        "至少一個大寫英文字母",
        "至少一個小寫英文字母",
        "至少一個數字",
    ]


def test_scrypt_hash_verifies_and_is_salted() -> None:
    stored = hash_password("Abcdefg1")
    assert stored.startswith("scrypt$")
    assert "Abcdefg1" not in stored
    assert check_password("Abcdefg1", stored)
    assert not check_password("Abcdefg2", stored)
    assert hash_password("Abcdefg1") != stored


def test_complete_profile_passes() -> None:
    assert check_profile("王小明", "A123456789", "1990-01-01", "男", "臺北市中正區重慶南路一段1號", TODAY) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "王"}, "請填寫姓名"),
        ({"id_number": "A123456788"}, "檢查碼錯誤"),
        ({"sex": "女"}, "代表男性，與所填性別（女）不符"),
        ({"sex": ""}, "請選擇性別"),
        ({"birth_date": ""}, "請填寫出生日期"),
        ({"birth_date": "2027-01-01"}, "不可晚於今天"),
        ({"birth_date": "2020-01-01"}, "未滿 7 歲"),
        ({"address": "臺北"}, "請填寫完整地址"),
    ],
)
def test_each_profile_problem_is_named(fields: dict[str, str], message: str) -> None:
    profile = {
        "name": "王小明",
        "id_number": "A123456789",
        "birth_date": "1990-01-01",
        "sex": "男",
        "address": "臺北市中正區重慶南路一段1號",
        **fields,
    }
    errors = check_profile(**profile, today=TODAY)
    assert len(errors) == 1
    assert message in errors[0]
