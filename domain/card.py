"""Who a 自然人憑證 card is personalised for, and the citizen as their card holds them."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.citizen import CitizenProfile


@dataclass(frozen=True, slots=True)
class CardHolder:
    """Who a card is personalised for."""

    name: str
    id_number: str
    card_number: str
    pin: str = field(repr=False)  # never in a repr: reports show step arguments
    puk: str = field(repr=False)
    seed: int = 0


def card_holder(citizen: CitizenProfile) -> CardHolder:
    """The citizen as their 自然人憑證 card is personalised."""
    return CardHolder(citizen.name, citizen.id_number, citizen.card_number, citizen.pin, citizen.puk, citizen.seed)
