"""What the card's control surface reports, as its in-process client writes it and its HTTP client reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CardState:
    """The controlled card and its reader: what a certification report names as the card profile used."""

    reader: str
    inserted: bool
    holder_name: str | None
    card_number: str | None
    pin_tries: int | None  # None: no card in the reader
    plugged: bool  # the reader is attached to the computer
    atr: str
    issuer: str  # the CA that issued the card's certificates (RFC 4514)

    @classmethod
    def from_wire(cls, state: dict[str, Any]) -> CardState:
        """From `GET /_control/card`'s JSON (CardClient.state)."""
        holder = state.get("holder") or {}
        return cls(
            reader=str(state["reader"]),
            inserted=bool(state["inserted"]),
            holder_name=holder.get("name"),
            card_number=holder.get("card_number"),
            pin_tries=state.get("pin_tries"),
            plugged=bool(state.get("plugged", True)),
            atr=str(state.get("atr", "")),
            issuer=str(state.get("issuer", "")),
        )
