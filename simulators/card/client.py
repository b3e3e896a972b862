"""The card in its reader, as tests control it: insert, remove, set tries, block, revoke or expire, swap, transcript.

CardClient drives the in-process slot directly (docs/contributing.md#simulators: the same operations as methods);
CardControlClient does
the same over HTTP, through the control surface of simulators/card/control.py (what `tpcd certify-agent
--control-url` takes). Issued cards are cached per citizen seed, so re-inserting a card never waits for new keys.

The reader is one of three: a slot of our private pcscd (PcscHost), a vpcd reader on another machine (RemoteReader:
vsmartcard's driver on a vendor's Windows, macOS or Linux test machine, which listens for the card as it does
locally), or none at all (the direct in-process transport).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from domain.card import CardHolder
from simulators.card.card_os import MoicaCardOS
from simulators.card.content import CardContent
from simulators.card.faults import CardFault
from simulators.card.issuer import CardIssuer
from simulators.card.models import CardState
from simulators.card.pcscd import PcscHost, wait_for_card
from simulators.card.pki import CitizenCertificates
from simulators.card.profile import ATR
from simulators.card.vpcd import VpcdLink
from simulators.client import ServiceClient, SimulatorError


class InOrder:
    """One daemon thread running work in the order given. Not a ThreadPoolExecutor: concurrent.futures refuses new
    work once the interpreter begins to exit, before atexit hooks run, and a notebook kernel closes its stack (the
    card taken out) in one; a daemon thread still serves then, and never holds the exit up."""

    def __init__(self, name: str) -> None:
        self._work: queue.SimpleQueue[tuple[Future[None], Callable[[], None]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()
        self._closed = False

    def submit(self, work: Callable[[], None]) -> Future[None]:
        """`work` after everything given before it; its future holds its outcome."""
        if self._closed:
            raise RuntimeError(f"{self._thread.name} is shut down")
        done: Future[None] = Future()
        self._work.put((done, work))
        return done

    def shutdown(self) -> None:
        """Finish what was given, then stop the thread."""
        self._closed = True
        self._work.put(None)
        self._thread.join()

    def _serve(self) -> None:
        while (item := self._work.get()) is not None:
            done, work = item
            if done.set_running_or_notify_cancel():
                try:
                    work()
                except BaseException as error:
                    done.set_exception(error)
                else:
                    done.set_result(None)


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

    The card in the hand (`card`, `holder`, `certificates`) changes at once; what the reader makes of it (the vpcd
    connection, pcscd noticing it at its next ~0.4 s poll) happens in order on the slot's own thread. A caller may
    wait for that (`wait=True`, the default) or go on while it happens (`wait=False`: a scenario's steps overlap it)
    and wait only where the reader's view matters (`settle`, which the agent calls before it reads the card).
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
        self._link: VpcdLink | None = None  # touched on the reader's thread only
        self._reader_side = InOrder("card-reader")
        self._last: Future[None] | None = None  # the newest change the reader was given
        self._failure: BaseException | None = None  # of a change nobody waited for, until `settle` reports it

    def insert(self, holder: CardHolder, *, validity: CardFault | None = None, wait: bool = True) -> MoicaCardOS:
        """Put `holder`'s card in the reader (a different card is swapped out); with `wait`, until pcscd reports it."""
        certificates = self._certificates(holder, validity)
        der = serialization.Encoding.DER
        card = MoicaCardOS(
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
        self.card, self.holder, self.certificates = card, holder, certificates
        self._in_turn(lambda: self._put_in(card), wait=wait)
        return card

    def _put_in(self, card: MoicaCardOS) -> None:
        """On the reader's thread: the card that was there out, then `card` in, unless another took its place."""
        self._take_out()
        if self.card is not card:
            return  # taken out or swapped again since: that change has its own turn
        if self.host is not None and self.plugged:
            try:
                self._connect(card, timeout=1.0)  # pcscd polls every ~0.4 s: a card not seen by then will not be
            except TimeoutError:
                # After a card dropped out in the middle of a command, vpcd ignores the next connection once
                # (seen every time here): take it out again, let pcscd see the slot empty, connect once more.
                self._take_out()
                self._connect(card, timeout=5.0)
        elif self.remote is not None:
            self._connect(card, timeout=self.remote.wait)

    def _connect(self, card: MoicaCardOS, *, timeout: float) -> None:
        if self.remote is not None:
            self._link = VpcdLink(card, self.remote.port, host=self.remote.host)
            self._link.insert()
            try:
                self._link.wait_seen(timeout)  # pcscd is on the other machine: vpcd asking for the ATR is the sign
            except TimeoutError:
                self._take_out()
                raise
            return
        assert self.host is not None
        self._link = VpcdLink(card, self.host.port(self.index), netns=self.host.netns)
        self._link.insert()
        wait_for_card(self.reader, present=True, timeout=timeout)

    def _take_out(self) -> None:
        """On the reader's thread: close the vpcd connection and, for our own pcscd, wait until it reports the slot
        empty (a remote one notices at its next poll; the next card's connection is accepted only then)."""
        if self._link is None:
            return
        self._link.remove()
        self._link = None
        if self.host is not None:
            wait_for_card(self.reader, present=False)

    def _in_turn(self, change: Callable[[], None], *, wait: bool) -> None:
        """Give the reader `change`, after every change before it; with `wait`, until it is done (its error raised),
        else its error is kept for `settle`."""
        with self._lock:
            self._last = self._reader_side.submit(lambda: self._keeping_failure(change, not wait))
            last = self._last
        if wait:
            last.result()

    def _keeping_failure(self, change: Callable[[], None], keep: bool) -> None:
        try:
            change()
        except BaseException as error:
            if not keep:
                raise
            self._failure = self._failure or error

    def settle(self) -> None:
        """Wait until the reader shows what was last done to it (pcscd reports the card in, or the slot empty); raise
        what went wrong with a change nobody waited for (once)."""
        with self._lock:
            last = self._last
        if last is not None:
            wait_for([last])  # a change someone waited for raised its error to them already
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def settle_quietly(self) -> None:
        """`settle`, for a reader of the card (the agent) that must carry on either way: a failure stays for the next
        `settle` (the scenario's end) to report."""
        with self._lock:
            last = self._last
        if last is not None:
            wait_for([last])

    def unplug(self) -> None:
        """The reader leaves the computer, the card still in it. Our pcscd stops (as Windows stops its smart-card
        service when the last reader goes), so it must serve this slot alone; a remote reader stays where it is."""
        if self.remote is not None:
            raise ReaderNotHere(f"the reader {self.reader} is on another machine: unplug it there")
        if self.host is not None and self.host.in_use() > 1:
            raise ReaderNotHere(f"the PC/SC service of {self.reader} serves {self.host.in_use()} readers")
        if not self.plugged:
            return

        def unplug() -> None:
            self._take_out()
            if self.host is not None:
                self.host.suspend()

        self._in_turn(unplug, wait=True)
        self.plugged = False

    def plug(self) -> None:
        """The reader back in the computer, with the card that was in it."""
        if self.plugged:
            return

        def plug() -> None:
            if self.host is not None:
                self.host.resume()
            if self.host is not None and self.card is not None:
                self._connect(self.card, timeout=5.0)

        self.plugged = True
        self._in_turn(plug, wait=True)

    @property
    def inserted(self) -> bool:
        """Whether a card is in the slot."""
        return self.card is not None

    def remove(self, *, wait: bool = True) -> None:
        """Take the card out; with `wait`, until pcscd reports the slot empty."""
        self.card = None
        self._in_turn(self._take_out, wait=wait)

    def close(self) -> None:
        """Take the card out and give the reader back (plugged in again, if it was unplugged)."""
        try:
            with contextlib.suppress(BaseException):
                self.settle()  # a failure nobody waited for is moot once the reader goes
            self.plug()
            self.remove()
        finally:
            self._reader_side.shutdown()
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

    def insert(self, holder: CardHolder, *, wait: bool = True) -> None:
        """Insert `holder`'s card (swapping out whatever card is there); with `wait`, until the reader reports it,
        else while the caller goes on (the agent waits for it before it reads the card: CardSlot.settle)."""
        self.slot.insert(holder, wait=wait)

    def remove(self, *, wait: bool = True) -> None:
        """Pull the card out of the reader; with `wait`, until the reader reports it gone."""
        self.slot.remove(wait=wait)

    def settle(self) -> None:
        """Wait until the reader shows the last insert or removal; raise what went wrong with one nobody waited for."""
        self.slot.settle()

    def arm(self, fault: CardFault, *, wait: bool = True) -> None:
        """Make the card misbehave in one of the named ways (a card taken out or swapped: `wait` as for insert)."""
        if fault is CardFault.REMOVED:
            self.remove(wait=wait)
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
            self.slot.insert(holder, validity=fault, wait=wait)

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
        """No card in the reader (plugged in), nothing revoked: a fresh start for the next scenario. The reader notices
        the card gone while the scenario begins (whatever reads or inserts a card next waits for that)."""
        self.slot.plug()
        self.slot.remove(wait=False)
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
        super().__init__(base_url, timeout=timeout, token=token)  # a remote reader's insert waits for its next poll

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
