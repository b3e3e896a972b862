"""The citizen factory: valid, reproducible, unique per worker, and never leaking secrets into the report."""

from __future__ import annotations

from datetime import date

from faker import Faker

from harness.citizens import MAIL_DOMAIN, TAIPEI_DISTRICTS, CitizenProvider, make_citizen, scenario_seed
from portal.idnumber import Sex, validate_id_number


def test_generated_id_numbers_are_valid_over_10000_seeds() -> None:
    fake = Faker("zh_TW")
    fake.add_provider(CitizenProvider)
    for seed in range(10_000):
        fake.seed_instance(seed)
        sex = Sex.MALE if seed % 2 else Sex.FEMALE
        validate_id_number(fake.taiwan_id_number(sex), sex)


def test_every_field_meets_its_rule() -> None:
    today = date.today()
    for seed in range(300):
        citizen = make_citizen(seed)
        validate_id_number(citizen.id_number, citizen.sex)
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


def test_masked_profile_hides_pin_and_password() -> None:
    citizen = make_citizen(5)
    shown = " ".join(citizen.masked().values())
    for secret in citizen.secrets():
        assert secret not in shown
    assert citizen.masked()["id_number"] == citizen.id_number


def test_scenario_seed_is_stable_and_distinct() -> None:
    assert scenario_seed(1, "a") == scenario_seed(1, "a")
    assert scenario_seed(1, "a") != scenario_seed(1, "b") != scenario_seed(2, "a")
