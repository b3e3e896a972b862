"""The citizen's 自然人憑證: where the citizen factory meets the card simulator's types (kept out of harness.citizens,
which every page object imports, so they never load the PC/SC stack)."""

from __future__ import annotations

from harness.citizens import CitizenProfile
from simulators.card import CardHolder


def card_holder(citizen: CitizenProfile) -> CardHolder:
    """The citizen as their 自然人憑證 card is personalised."""
    return CardHolder(citizen.name, citizen.id_number, citizen.card_number, citizen.pin, citizen.puk, citizen.seed)
