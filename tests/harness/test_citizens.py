"""The citizen factory: valid, reproducible, unique per worker, and never leaking secrets into the report."""

from __future__ import annotations

import string
from datetime import date

import pytest
from faker import Faker

from domain.citizen import SEX_DIGIT, Sex
from domain.idnumber import is_valid_id_number, with_check_digit
from harness.citizens import (
    MAIL_DOMAIN,
    TAIPEI_DISTRICTS,
    CitizenProvider,
    make_citizen,
    netizen_account,
    scenario_seed,
)

# Published vectors (docs/protocols/id-number.md: national and new-format resident numbers), with the reason each is
# (in)valid.
VALID = ["A123456789", "A223456781", "W123456789", "A800000014", "A900000007"]
INVALID = [
    "A123456788",  # S = 129
    "I123456789",  # I = 34, S = 168: wrong if I were coded as the letter after H
    "Z123456781",  # Z = 33, S = 151
    "A800000015",  # resident number, check digit off by one
    "A323456789",  # second digit neither 1/2 nor 8/9
    "A12345678",  # nine characters
]


@pytest.mark.parametrize("number", VALID)
def test_published_valid_numbers_pass(number: str) -> None:
    assert is_valid_id_number(number)
    assert with_check_digit(number[:9]) == number


@pytest.mark.parametrize("number", INVALID)
def test_published_invalid_numbers_fail(number: str) -> None:
    assert not is_valid_id_number(number)


def test_every_letter_agrees_with_an_independent_implementation() -> None:
    """Faker's zh_TW `ssn()` computes the checksum with its own letter rule: every letter, thousands of numbers."""
    fake = Faker("zh_TW")
    letters = set()
    for seed in range(3_000):
        fake.seed_instance(seed)
        number = fake.ssn()
        letters.add(number[0])
        assert is_valid_id_number(number), number
        assert not is_valid_id_number(number[:9] + str((int(number[9]) + 1) % 10)), number
    assert letters == set(string.ascii_uppercase)


def test_generated_id_numbers_are_valid_and_carry_the_sex_over_10000_seeds() -> None:
    fake = Faker("zh_TW")
    fake.add_provider(CitizenProvider)
    for seed in range(10_000):
        fake.seed_instance(seed)
        sex = Sex.MALE if seed % 2 else Sex.FEMALE
        number = fake.taiwan_id_number(sex)
        assert is_valid_id_number(number), number
        assert number[1] == SEX_DIGIT[sex]


def test_every_field_meets_its_rule() -> None:
    today = date.today()
    for seed in range(300):
        citizen = make_citizen(seed)
        assert is_valid_id_number(citizen.id_number)
        assert citizen.id_number[1] == SEX_DIGIT[citizen.sex]
        adult_from = date(today.year - 18, today.month, min(today.day, 28))
        assert citizen.birth_date <= adult_from
        assert citizen.mobile.startswith("09")
        assert len(citizen.mobile) == 10
        assert citizen.mobile.isdigit()
        assert citizen.email.endswith("@" + MAIL_DOMAIN)
        assert citizen.address.startswith("臺北市")
        assert citizen.postcode in TAIPEI_DISTRICTS.values()
        assert 6 <= len(citizen.pin) <= 8
        assert citizen.pin.isdigit()
        assert len(citizen.card_number) == 16
        assert citizen.card_number[:4].isalpha()
        assert citizen.card_number[4:].isdigit()
        password = citizen.password
        assert 8 <= len(password) <= 20
        assert any(c.isupper() for c in password)
        assert any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)


def test_same_seed_same_citizen_other_seed_other_citizen() -> None:
    assert make_citizen(42) == make_citizen(42)
    assert make_citizen(42).id_number != make_citizen(43).id_number


def test_workers_get_distinct_mobiles_and_mailboxes() -> None:
    one, two = make_citizen(7, worker=1), make_citizen(7, worker=2)
    assert one.mobile[2] != two.mobile[2]
    assert one.email != two.email
    assert one.email.startswith("w1+")


def test_runs_sharing_a_stack_get_distinct_citizens_for_the_same_scenario() -> None:
    scenario = "steps/test_scenarios.py::test_市民以手機收到驗證碼"
    runs = [make_citizen(scenario_seed(base, scenario), worker=1) for base in range(200)]
    assert len({citizen.mobile for citizen in runs}) == len(runs)
    assert len({citizen.email for citizen in runs}) == len(runs)


def test_a_run_part_gives_the_same_person_new_contacts_and_id_against_a_deployment() -> None:
    here, there = make_citizen(42, worker=1, run=1), make_citizen(42, worker=1, run=2)
    assert (here.name, here.birth_date, here.address, here.pin) == (
        there.name,
        there.birth_date,
        there.address,
        there.pin,
    )
    assert here.mobile != there.mobile
    assert here.email != there.email
    assert here.id_number != there.id_number
    assert netizen_account(here) != netizen_account(there)
    assert is_valid_id_number(here.id_number)
    assert here.id_number[1] == make_citizen(42).id_number[1]  # the sex digit stays the person's
    assert make_citizen(42, worker=1, run=0) == make_citizen(42, worker=1)  # the embedded twin: as ever


def test_masked_profile_hides_pin_and_password() -> None:
    citizen = make_citizen(5)
    shown = " ".join(citizen.masked().values())
    for secret in citizen.secrets():
        assert secret not in shown
    assert citizen.masked()["id_number"] == citizen.id_number


def test_scenario_seed_is_stable_and_distinct() -> None:
    assert scenario_seed(1, "a") == scenario_seed(1, "a")
    assert scenario_seed(1, "a") != scenario_seed(1, "b") != scenario_seed(2, "a")
