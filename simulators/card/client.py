"""The card in its reader, as tests control it: insert, remove, set tries, block, revoke or expire, swap, transcript.

The card has no HTTP side: this client drives the in-process slot directly (STYLE.md §6: the same operations as
methods). Issued cards are cached per citizen seed, so re-inserting a card never waits for new keys.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from simulators.card.card_os import CardContent, MoicaCardOS
from simulators.card.faults import CardFault
from simulators.card.issuer import CardIssuer
from simulators.card.pcscd import PcscHost, wait_for_card
from simulators.card.pki import CitizenCertificates
from simulators.card.vpcd import VpcdLink


@dataclass(frozen=True, slots=True)
class CardHolder:
    """Who a card is personalised for."""

    name: str
    id_number: str
    card_number: str
    pin: str = field(repr=False)  # never in a repr: reports show step arguments
    puk: str = field(repr=False)
    seed: int = 0


DIRECT_READER = "TPCD Direct Transport (no PC/SC)"


class CardSlot:
    """One virtual reader of the private pcscd and the card in it (if any).

    Without a host, the slot is the direct in-process transport for machines without PC/SC: the same card OS, reached
    by calling `card.execute` instead of through pcscd.
    """

    def __init__(self, host: PcscHost | None, pki: CardIssuer) -> None:
        self.host, self.pki = host, pki
        self.index = host.acquire() if host else -1
        self.reader = host.reader_name(self.index) if host else DIRECT_READER
        self._issued: dict[tuple[int, str], CitizenCertificates] = {}
        self._lock = threading.Lock()
        self.card: MoicaCardOS | None = None
        self.holder: CardHolder | None = None
        self.certificates: CitizenCertificates | None = None
        self._link: VpcdLink | None = None

    def close(self) -> None:
        """Take the card out and give the reader back."""
        self.remove()
        if self.host is not None:
            self.host.release(self.index)

    def insert(self, holder: CardHolder, *, validity: CardFault | None = None) -> MoicaCardOS:
        """Put `holder`'s card in the reader and wait until pcscd reports it (a different card is swapped in)."""
        self.remove()
        certificates = self._certificates(holder, validity)
        der = serialization.Encoding.DER
        self.card = MoicaCardOS(
            CardContent(holder.card_number, holder.pin, holder.puk, certificates.sign_key,
                        certificates.sign_cert.public_bytes(der), certificates.enc_key,
                        certificates.enc_cert.public_bytes(der))
        )  # fmt: skip
        self.holder, self.certificates = holder, certificates
        if self.host is not None:
            try:
                self._connect(timeout=2.0)
            except TimeoutError:
                # After a card dropped out in the middle of a command, vpcd ignores the next connection once
                # (seen every time here): take it out again, let pcscd see the slot empty, connect once more.
                self.remove_link()
                self._connect(timeout=5.0)
        return self.card

    def _connect(self, *, timeout: float) -> None:
        assert self.host is not None
        assert self.card is not None
        self._link = VpcdLink(self.card, self.host.port(self.index), netns=self.host.netns)
        self._link.insert()
        wait_for_card(self.reader, present=True, timeout=timeout)

    def remove_link(self) -> None:
        """Close the vpcd connection and wait until pcscd reports the slot empty."""
        if self._link is None:
            return
        self._link.remove()
        self._link = None
        wait_for_card(self.reader, present=False)

    @property
    def inserted(self) -> bool:
        """Whether a card is in the slot."""
        return self.card is not None

    def remove(self) -> None:
        """Take the card out and wait until pcscd reports the slot empty."""
        self.card = None
        self.remove_link()

    def _certificates(self, holder: CardHolder, validity: CardFault | None) -> CitizenCertificates:
        key = (holder.seed, str(validity))
        with self._lock:
            if key not in self._issued:
                now = datetime.now(UTC)
                window = {
                    CardFault.EXPIRED: (now - timedelta(days=5 * 365 + 1), now - timedelta(days=1)),
                    CardFault.NOT_YET_VALID: (now + timedelta(days=1), now + timedelta(days=5 * 365 + 1)),
                }.get(validity, (None, None))  # type: ignore[arg-type]
                self._issued[key] = self.pki.issue(holder.name, holder.id_number, seed=holder.seed,
                                                   not_before=window[0], not_after=window[1])  # fmt: skip
            return self._issued[key]


class CardClient:
    """What steps use to handle the citizen's card."""

    def __init__(self, slot: CardSlot) -> None:
        self.slot = slot

    @property
    def reader(self) -> str:
        """The PC/SC reader name the card sits in."""
        return self.slot.reader

    def insert(self, holder: CardHolder) -> None:
        """Insert `holder`'s card (swapping out whatever card is there)."""
        self.slot.insert(holder)

    def remove(self) -> None:
        """Pull the card out of the reader."""
        self.slot.remove()

    def arm(self, fault: CardFault) -> None:
        """Make the card misbehave in one of the named ways."""
        if fault is CardFault.REMOVED:
            self.remove()
        elif fault is CardFault.REMOVED_DURING_SIGNING:
            self._card().pull_out_before_signing = True
        elif fault is CardFault.PIN_BLOCKED:
            self._card().set_pin_tries(0)
        elif fault is CardFault.REVOKED:
            certificates = self._certificates()
            self.slot.pki.revoke(certificates.sign_cert.serial_number)
        else:  # EXPIRED / NOT_YET_VALID: the same holder, certificates with that validity
            holder = self.slot.holder
            if holder is None:
                raise RuntimeError("no card in the reader to expire")
            self.slot.insert(holder, validity=fault)

    def certificate_serial(self) -> str:
        """The inserted card's signing certificate serial, in hex: what OCSP is asked about, and a fault's target."""
        return f"{self._certificates().sign_cert.serial_number:x}"

    def set_tries_left(self, tries: int) -> None:
        """Set the PIN retry counter of the inserted card."""
        self._card().set_pin_tries(tries)

    def reset(self) -> None:
        """No card in the reader, nothing revoked: a fresh start for the next scenario."""
        self.slot.remove()
        self.slot.pki.reset()

    def transcript(self) -> list[dict[str, Any]]:
        """Every APDU the card answered, PIN bytes masked."""
        card = self.slot.card
        return [asdict(exchange) for exchange in card.transcript] if card else []

    def state(self) -> dict[str, Any]:
        """Reader, holder and PIN state, for reports and for people."""
        card, holder = self.slot.card, self.slot.holder
        return {
            "reader": self.slot.reader,
            "inserted": self.slot.inserted,
            "holder": None if holder is None else {"name": holder.name, "card_number": holder.card_number},
            "pin_tries": None if card is None else card.pin_tries,
        }

    def _card(self) -> MoicaCardOS:
        if self.slot.card is None:
            raise RuntimeError("no card in the reader")
        return self.slot.card

    def _certificates(self) -> CitizenCertificates:
        if self.slot.certificates is None:
            raise RuntimeError("no card in the reader")
        return self.slot.certificates
