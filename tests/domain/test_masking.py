"""The one masking rule: secrets keep their length and lose their value; nothing else is touched."""

from __future__ import annotations

from domain.masking import mask, mask_fields, mask_values


def test_mask_keeps_the_length_of_text_and_bytes() -> None:
    assert mask("123456") == "******"
    assert mask("12345678") == "********"
    assert mask(b"1234\xff\xff\xff\xff") == b"********"
    assert mask("") == ""


def test_mask_fields_masks_only_the_secret_keys() -> None:
    package = {"func": "MakeSignature", "pin": "123456", "tbs": "nonce", "puk": 87654321, "password": "Abc1234"}
    shown = mask_fields(package)
    assert shown == {"func": "MakeSignature", "pin": "******", "tbs": "nonce", "puk": "********", "password": "*******"}
    assert package["pin"] == "123456"  # the caller's record is left as it was


def test_mask_values_masks_every_occurrence_of_each_secret_long_enough() -> None:
    text = "PIN 123456 then 123456 again; token abcdefgh; PUK 12; holder B987654321"
    shown = mask_values(text, ("123456", "abcdefgh", "12", None, "B987654321"))
    assert shown == "PIN ****** then ****** again; token ********; PUK 12; holder **********"
