"""The card in its reader, as tests control it: insert, remove, set tries, block, revoke or expire, swap, transcript.

CardClient drives the in-process slot directly (STYLE.md §6: the same operations as methods); CardControlClient does
the same over HTTP, through the control surface of simulators/card/control.py (what `tpcd certify-agent
--control-url` takes). Issued cards are cached per citizen seed, so re-inserting a card never waits for new keys.

The reader is one of three: a slot of our private pcscd (PcscHost), a vpcd reader on another machine (RemoteReader:
vsmartcard's driver on a vendor's Windows, macOS or Linux test machine, which listens for the card as it does
locally), or none at all (the direct in-process transport).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from simulators._client import ServiceClient, SimulatorError
from simulators.card.card_os import CardContent, MoicaCardOS
from simulators.card.faults import CardFault
from simulators.card.issuer import CardIssuer
from simulators.card.models import CardState
from simulators.card.pcscd import PcscHost, wait_for_card
from simulators.card.pki import CitizenCertificates
from simulators.card.profile import ATR
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
VPCD_PORT = 35963  # vsmartcard's default vpcd port, on every platform (its BixVReader.ini on Windows: TCP_PORT)


class ReaderNotHere(RuntimeError):
    """The reader cannot be unplugged from here: it is on another machine, or shares its PC/SC service."""


@dataclass(frozen=True, slots=True)
class RemoteReader:
    """A vpcd reader on another machine: the card connects to HOST:PORT, as vsmartcard's vicc does."""

    host: str
    port: int = VPCD_PORT
    wait: float = 10.0  # seconds for that reader to ask for the card (vpcd polls every ~0.4 s; on Windows, 1 s)

    @classmethod
    def parse(cls, address: str) -> RemoteReader:
        """`HOST:PORT` (or `HOST`, for vpcd's default port 35963); ValueError saying what is expected."""
        host, _, port = address.rpartition(":") if ":" in address else (address, ":", str(VPCD_PORT))
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"--vpcd {address!r}: expected HOST:PORT of a vpcd reader, e.g. 192.0.2.10:{VPCD_PORT}")
        return cls(host, int(port))

    @property
    def name(self) -> str:
        """What this side calls the reader (its PC/SC name is the other machine's)."""
        return f"vpcd {self.host}:{self.port}"


class CardSlot:
    """One virtual reader and the card in it (if any): a slot of the private pcscd, or a remote vpcd reader.

    Without either, the slot is the direct in-process transport for machines without PC/SC: the same card OS, reached
    by calling `card.execute` instead of through pcscd.
    """

    def __init__(self, host: PcscHost | RemoteReader | None, pki: CardIssuer) -> None:
        self.host = host if isinstance(host, PcscHost) else None
        self.remote = host if isinstance(host, RemoteReader) else None
        self.pki = pki
        self.index = self.host.acquire() if self.host else -1
        if self.host:
            self.reader = self.host.reader_name(self.index)
        else:
            self.reader = self.remote.name if self.remote else DIRECT_READER
        self.plugged = True  # the reader is attached to the computer
        self._issued: dict[tuple[int, str], CitizenCertificates] = {}
        self._lock = threading.Lock()
        self.card: MoicaCardOS | None = None
        self.holder: CardHolder | None = None
        self.certificates: CitizenCertificates | None = None
        self._link: VpcdLink | None = None

    def insert(self, holder: CardHolder, *, validity: CardFault | None = None) -> MoicaCardOS:
        """Put `holder`'s card in the reader and wait until pcscd reports it (a different card is swapped in)."""
        self.remove()
        certificates = self._certificates(holder, validity)
        der = serialization.Encoding.DER
        self.card = MoicaCardOS(
            CardContent(
                holder.card_number,
                holder.pin,
                holder.puk,
                certificates.sign_key,
                certificates.sign_cert.public_bytes(der),
                certificates.enc_key,
                certificates.enc_cert.public_bytes(der),
                self.pki.ca_cert.public_bytes(der),
            )
        )
        self.holder, self.certificates = holder, certificates
        if self.host is not None and self.plugged:
            try:
                self._connect(timeout=1.0)  # pcscd polls every ~0.4 s: a card not seen by then will not be
            except TimeoutError:
                # After a card dropped out in the middle of a command, vpcd ignores the next connection once
                # (seen every time here): take it out again, let pcscd see the slot empty, connect once more.
                self.remove_link()
                self._connect(timeout=5.0)
        elif self.remote is not None:
            self._connect(timeout=self.remote.wait)
        return self.card

    def _connect(self, *, timeout: float) -> None:
        assert self.card is not None
        if self.remote is not None:
            self._link = VpcdLink(self.card, self.remote.port, host=self.remote.host)
            self._link.insert()
            try:
                self._link.wait_seen(timeout)  # pcscd is on the other machine: vpcd asking for the ATR is the sign
            except TimeoutError:
                self.remove_link()
                raise
            return
        assert self.host is not None
        self._link = VpcdLink(self.card, self.host.port(self.index), netns=self.host.netns)
        self._link.insert()
        wait_for_card(self.reader, present=True, timeout=timeout)

    def remove_link(self) -> None:
        """Close the vpcd connection and, for our own pcscd, wait until it reports the slot empty (a remote one notices
        at its next poll; the next card's connection is accepted only then)."""
        if self._link is None:
            return
        self._link.remove()
        self._link = None
        if self.host is not None:
            wait_for_card(self.reader, present=False)

    def unplug(self) -> None:
        """The reader leaves the computer, the card still in it. Our pcscd stops (as Windows stops its smart-card
        service when the last reader goes), so it must serve this slot alone; a remote reader stays where it is."""
        if self.remote is not None:
            raise ReaderNotHere(f"the reader {self.reader} is on another machine: unplug it there")
        if self.host is not None and self.host.in_use() > 1:
            raise ReaderNotHere(f"the PC/SC service of {self.reader} serves {self.host.in_use()} readers")
        if not self.plugged:
            return
        self.remove_link()
        if self.host is not None:
            self.host.suspend()
        self.plugged = False

    def plug(self) -> None:
        """The reader back in the computer, with the card that was in it."""
        if self.plugged:
            return
        if self.host is not None:
            self.host.resume()
        self.plugged = True
        if self.host is not None and self.card is not None:
            self._connect(timeout=5.0)

    @property
    def inserted(self) -> bool:
        """Whether a card is in the slot."""
        return self.card is not None

    def remove(self) -> None:
        """Take the card out and wait until pcscd reports the slot empty."""
        self.card = None
        self.remove_link()

    def close(self) -> None:
        """Take the card out and give the reader back (plugged in again, if it was unplugged)."""
        self.plug()
        self.remove()
        if self.host is not None:
            self.host.release(self.index)

    def _certificates(self, holder: CardHolder, validity: CardFault | None) -> CitizenCertificates:
        key = (holder.seed, str(validity))
        with self._lock:
            if key not in self._issued:
                now = datetime.now(UTC)
                window = {
                    CardFault.EXPIRED: (now - timedelta(days=5 * 365 + 1), now - timedelta(days=1)),
                    CardFault.NOT_YET_VALID: (now + timedelta(days=1), now + timedelta(days=5 * 365 + 1)),
                }.get(validity, (None, None))  # type: ignore[arg-type]
                self._issued[key] = self.pki.issue(
                    holder.name, holder.id_number, seed=holder.seed, not_before=window[0], not_after=window[1]
                )
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

    def plug(self, plugged: bool) -> None:
        """Plug the reader in or out (ReaderNotHere when it cannot be done from here)."""
        if plugged:
            self.slot.plug()
        else:
            self.slot.unplug()

    def chain_pem(self) -> bytes:
        """The test MOICA CA and root that issued the card's certificates: what a relying party trusts."""
        return self.slot.pki.chain_pem()

    def reset(self) -> None:
        """No card in the reader (plugged in), nothing revoked: a fresh start for the next scenario."""
        self.slot.plug()
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
            "plugged": self.slot.plugged,
            "atr": ATR.hex(" ").upper(),
            "issuer": self.slot.pki.ca_cert.subject.rfc4514_string(),
        }

    def _card(self) -> MoicaCardOS:
        if self.slot.card is None:
            raise RuntimeError("no card in the reader")
        return self.slot.card

    def _certificates(self) -> CitizenCertificates:
        if self.slot.certificates is None:
            raise RuntimeError("no card in the reader")
        return self.slot.certificates


class CardControlClient(ServiceClient):
    """The card's control surface over HTTP (simulators/card/control.py): on a `tpcd card` service or an agent
    simulator's desktop. `token` is the bearer token a control surface bound beyond loopback demands."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        super().__init__(base_url, timeout=timeout)  # inserting into a remote reader waits for its next poll
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def state(self) -> CardState:
        """Reader, holder, PIN tries and profile of the controlled card."""
        return CardState.from_wire(self._call("GET", "/_control/card"))

    def insert(self, holder: CardHolder) -> None:
        """Put `holder`'s card in the reader (swapping out whatever card is there)."""
        self._call("POST", "/_control/card/insert", json=holder_wire(holder))

    def remove(self) -> None:
        """Pull the card out of the reader."""
        self._call("POST", "/_control/card/remove")

    def reset_card(self) -> None:
        """No card in the reader (plugged back in), nothing revoked."""
        self._call("POST", "/_control/card/reset")

    def set_tries_left(self, tries: int) -> None:
        """Set the PIN retry counter of the inserted card (0 blocks it)."""
        self._call("POST", "/_control/card/tries", data={"tries": tries})

    def arm(self, fault: CardFault) -> None:
        """Make the card misbehave in one of the named ways (block, revoke, expire, pull it out mid-signature)."""
        self._call("POST", "/_control/card/faults", json={"fault": str(fault)})

    def plug(self, plugged: bool) -> None:
        """Plug the reader in or out; SimulatorError (HTTP 409) when that cannot be done from here."""
        self._call("POST", "/_control/card/reader", json={"plugged": plugged})

    def chain_pem(self) -> bytes:
        """The CA chain that issued the card's certificates, PEM."""
        response = self.http.get(self.base_url + "/_control/card/chain", timeout=self.timeout)
        if response.status_code >= 400:
            raise SimulatorError(f"GET /_control/card/chain → {response.status_code}: {response.text[:500]}")
        return response.content


def holder_wire(holder: CardHolder) -> dict[str, Any]:
    """A holder as `POST /_control/card/insert` takes it."""
    return {
        "name": holder.name,
        "id_number": holder.id_number,
        "card_number": holder.card_number,
        "pin": holder.pin,
        "puk": holder.puk,
        "seed": holder.seed,
    }
