"""Fictional citizens (Faker, zh_TW): every scenario gets its own, and the same seed always gives the same one."""

from __future__ import annotations

import random
import string
import zlib
from dataclasses import replace
from datetime import date

from faker import Faker
from faker.providers import BaseProvider

from domain.citizen import SEX_DIGIT, CitizenProfile, Sex
from domain.idnumber import ID_LETTER_CODES, is_valid_id_number, with_check_digit
from simulators.registry import Holding

# The 12 districts of Taipei with their postcodes: every citizen lives in the city that issues the card.
TAIPEI_DISTRICTS = {
    "中正區": "100",
    "大同區": "103",
    "中山區": "104",
    "松山區": "105",
    "大安區": "106",
    "萬華區": "108",
    "信義區": "110",
    "士林區": "111",
    "北投區": "112",
    "內湖區": "114",
    "南港區": "115",
    "文山區": "116",
}
# Birth dates come from a fixed window so a seed is stable across days, and everyone is 18+ (MOICA issues to 18+).
BIRTH_WINDOW = (date(1940, 1, 1), date(2004, 12, 31))
MAIL_DOMAIN = "example.test"  # RFC 2606: never a real mailbox


class CitizenProvider(BaseProvider):
    """Faker provider for Taiwanese identity data that passes the official checks."""

    def taiwan_id_number(self, sex: Sex) -> str:
        """A 身分證字號 whose gender digit matches `sex` and whose check digit is right."""
        return with_check_digit(self.random_uppercase_letter() + SEX_DIGIT[sex] + self.numerify("#######"))

    def taiwan_mobile(self, worker: int = 0) -> str:
        """09xxxxxxxx; the third digit is the pytest-xdist worker's, so parallel workers never collide."""
        # The other seven come from the seed (mixed with the run's part, see make_citizen): a deployed portal and a
        # shared stack remember every earlier run's citizens.
        return f"09{worker % 9 + 1}{self.numerify('#######')}"

    def card_pin(self) -> str:
        """A MOICA PIN: 6–8 digits (docs/protocols/moica-card.md#pin)."""
        return self.numerify("#" * self.random_int(6, 8))

    def moica_card_number(self) -> str:
        """16 characters, 4 letters + 12 digits (our choice, docs/protocols/moica-card.md#card-number)."""
        letters = "".join(self.random_choices(string.ascii_uppercase, length=4))
        return letters + self.numerify("#" * 12)

    def taipei_address(self) -> tuple[str, str]:
        """(postcode, address) somewhere in Taipei."""
        district = self.random_element(sorted(TAIPEI_DISTRICTS))
        return TAIPEI_DISTRICTS[district], f"臺北市{district}{self.generator.street_address()}"


def _faker(seed: int | str) -> Faker:
    fake = Faker("zh_TW")
    fake.add_provider(CitizenProvider)
    fake.seed_instance(seed)
    return fake


def make_citizen(seed: int, *, worker: int = 0, run: int = 0) -> CitizenProfile:
    """The citizen for `seed`; `worker` keeps mobile and mail unique across pytest-xdist workers, and `run` (non-zero
    against a deployed portal or a shared stack, which keep every earlier run's members) across runs: the same seed
    in another run gives the same person with another mobile, mail address and ID number."""
    fake = _faker(seed)
    sex = fake.random_element((Sex.MALE, Sex.FEMALE))
    given = fake.first_name_male() if sex is Sex.MALE else fake.first_name_female()
    postcode, address = fake.taipei_address()
    name = fake.last_name() + given
    id_number = fake.taiwan_id_number(sex)
    birth_date = fake.date_between_dates(*BIRTH_WINDOW)
    mobile = fake.taiwan_mobile(worker)
    mailbox = f"w{worker}+citizen-{seed}" if worker else f"citizen-{seed}"
    if run:
        contact = _faker(f"{seed}:{run}")  # the run's part, drawn apart so the rest of the person stays the seed's
        id_number, mobile, mailbox = contact.taiwan_id_number(sex), contact.taiwan_mobile(worker), f"r{run}-{mailbox}"
    return CitizenProfile(
        seed=seed,
        name=name,
        id_number=id_number,
        sex=sex,
        birth_date=birth_date,
        mobile=mobile,
        email=f"{mailbox}@{MAIL_DOMAIN}",
        postcode=postcode,
        address=address,
        password=fake.password(length=12, special_chars=False, digits=True, upper_case=True, lower_case=True),
        pin=fake.card_pin(),
        card_number=fake.moica_card_number(),
        puk=fake.numerify("########"),
        run=run,
    )


def scenario_seed(base_seed: int, scenario_id: str) -> int:
    """A stable per-scenario seed: the run's base seed and the scenario's id give the same citizen every time."""
    return zlib.crc32(f"{base_seed}:{scenario_id}".encode())


def netizen_account(citizen: CitizenProfile) -> str:
    """The legacy 網路市民 account name a citizen signs in with (a shared stack keeps every run's accounts)."""
    return f"tp{citizen.seed}r{citizen.run}" if citizen.run else f"tp{citizen.seed}"


def mistype_last_digit(id_number: str) -> str:
    """The same number with its check digit off by one: a typo the checksum must catch."""
    return id_number[:-1] + str((int(id_number[-1]) + 1) % 10)


def wrong_pin(citizen: CitizenProfile) -> str:
    """A PIN of the right form that is not the citizen's."""
    return "9" * 6 if citizen.pin != "9" * 6 else "8" * 6


def card_services(citizen: CitizenProfile, *, today: date | None = None) -> list[Holding]:
    """The card services this citizen applied for at city departments (some hold none; 敬老 only from 65)."""
    rng = random.Random(citizen.seed)
    born, now = citizen.birth_date, today or date.today()
    age = now.year - born.year - ((now.month, now.day) < (born.month, born.day))
    choices = ["愛心卡", "愛心陪伴卡", "圖書借閱證", "愛心乘車證"] + (["敬老卡", "敬老乘車證"] if age >= 65 else [])
    held = rng.sample(choices, k=rng.choice([0, 1, 1, 2, 3]))
    return [Holding(name, card_number=f"{rng.randrange(10**9):09d}") for name in sorted(held)]


def someone_else(citizen: CitizenProfile) -> CitizenProfile:
    """Another citizen, for a card that is not this citizen's (same PIN, so only the card itself differs)."""
    return replace(make_citizen(citizen.seed + 1, run=citizen.run), pin=citizen.pin)


def same_last_four(citizen: CitizenProfile) -> CitizenProfile:
    """Another citizen whose 身分證字號 ends in the same four digits (a card's certificate holds only those): to the
    last-four check, the one's card could be the other's. Same PIN, so only the card and the member differ."""
    other = make_citizen(citizen.seed + 2, run=citizen.run)
    prefix = other.id_number[:2] + other.id_number[2:6]
    for letter in ID_LETTER_CODES:  # the letter's two digits move the checksum: one of them makes the number valid
        candidate = letter + prefix[1:] + citizen.id_number[-4:]
        if candidate != citizen.id_number and is_valid_id_number(candidate):
            return replace(other, id_number=candidate, pin=citizen.pin)
    raise AssertionError(f"no valid 身分證字號 ends in {citizen.id_number[-4:]} after {prefix[1:]}")  # never: see tests
