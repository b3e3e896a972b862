"""Virtual MOICA citizen-certificate card: test PKI, card OS (APDU), vpcd link into a private pcscd."""

from __future__ import annotations

from domain.card import CardHolder
from simulators.card.client import CardClient, CardSlot
from simulators.card.faults import CardFault, RevocationFault
from simulators.card.pki import KeyPool, TestPki

__all__ = ["CardClient", "CardFault", "CardHolder", "CardSlot", "KeyPool", "RevocationFault", "TestPki"]
