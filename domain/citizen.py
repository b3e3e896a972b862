"""The citizen (市民) as the application knows them, and how they receive a one-time code: plain data, no factory."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum

from domain.masking import mask_fields


class Sex(StrEnum):
    """性別 as the registration form labels it."""

    MALE = "男"
    FEMALE = "女"


SEX_DIGIT = {Sex.MALE: "1", Sex.FEMALE: "2"}  # the 身分證字號's second character (§6.1)


@dataclass(frozen=True, slots=True)
class CitizenProfile:
    """市民: everything a scenario needs to apply, from 姓名 to the card's PIN."""

    seed: int
    name: str
    id_number: str
    sex: Sex
    birth_date: date
    mobile: str
    email: str
    postcode: str
    address: str
    password: str = field(repr=False)  # never in a repr: reports show step arguments
    pin: str = field(repr=False)
    card_number: str = ""
    puk: str = field(repr=False, default="")
    run: int = 0  # the run's own part of mobile, mail, ID and 網路市民 account; 0 against the embedded twin

    def masked(self) -> dict[str, str]:
        """The profile as the report shows it: the password, the PIN and the PUK never appear."""
        return {key: str(value) for key, value in mask_fields(asdict(self)).items()}

    def secrets(self) -> tuple[str, ...]:
        """Values no report or log may contain."""
        return (self.password, self.pin, self.puk)


class Channel(StrEnum):
    """How a citizen receives the one-time code (documented step 4), in the Gherkin's own words."""

    MOBILE = "手機"
    EMAIL = "電子郵件"

    def of(self, citizen: CitizenProfile) -> str:
        """The citizen's mobile number or mail address."""
        return citizen.mobile if self is Channel.MOBILE else citizen.email
