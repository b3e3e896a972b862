"""The one holder of the card tests' personalised card: its PIN, PUK, card number and 身分證字號."""

from __future__ import annotations

PIN, PUK, CARD_NUMBER, ID_NUMBER = "246813", "13572468", "TPCD123456789012", "A123456789"
