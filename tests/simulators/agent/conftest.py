"""The agent tests reuse the card tests' test PKI."""

from __future__ import annotations

from tests.simulators.card.conftest import pki

__all__ = ["pki"]
