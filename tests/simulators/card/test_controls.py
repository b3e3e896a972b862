"""Card controls as steps use them (CardClient), on the direct transport: no pcscd needed to test the controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from domain.card import card_holder
from harness.citizens import make_citizen
from harness.settings import SettingsError, load_settings
from harness.stack import Stack
from simulators.card import CardClient, CardFault, CardSlot
from simulators.card import pcscd as pcscd_module
from simulators.card.client import DIRECT_READER
from simulators.card.pcscd import PcscHost, PcscUnavailable
from simulators.card.pki import TestPki


@pytest.fixture
def card(pki: TestPki) -> Iterator[CardClient]:
    slot = CardSlot(None, pki)
    try:
        yield CardClient(slot)
    finally:
        slot.close()
        pki.reset()


def test_insert_swap_and_remove(card: CardClient) -> None:
    first, second = card_holder(make_citizen(1)), card_holder(make_citizen(2))
    card.insert(first)
    assert card.state()["holder"] == {"name": first.name, "card_number": first.card_number}
    card.insert(second)
    assert card.state()["holder"]["card_number"] == second.card_number
    card.remove()
    assert card.state()["inserted"] is False
    assert card.reader == DIRECT_READER


def test_tries_block_and_transcript(card: CardClient) -> None:
    holder = card_holder(make_citizen(3))
    card.insert(holder)
    card.set_tries_left(1)
    assert card.state()["pin_tries"] == 1
    card.arm(CardFault.PIN_BLOCKED)
    assert card.state()["pin_tries"] == 0
    assert card.slot.card is not None
    assert card.slot.card.execute(bytes.fromhex("0020008106") + holder.pin[:6].encode()) == bytes.fromhex("6983")
    (exchange,) = card.transcript()
    assert holder.pin[:6].encode().hex(" ") not in exchange["command"]


def test_revoke_and_expire(card: CardClient, pki: TestPki) -> None:
    card.insert(card_holder(make_citizen(4)))
    certificates = card.slot.certificates
    assert certificates is not None
    card.arm(CardFault.REVOKED)
    assert certificates.sign_cert.serial_number in pki.revoked
    card.arm(CardFault.EXPIRED)
    assert card.slot.card is not None
    expired = x509.load_der_x509_certificate(card.slot.card.content.sign_cert_der)
    assert expired.not_valid_after_utc < datetime.now(UTC)
    card.arm(CardFault.NOT_YET_VALID)
    assert card.slot.card is not None
    later = x509.load_der_x509_certificate(card.slot.card.content.sign_cert_der)
    assert later.not_valid_before_utc > datetime.now(UTC)


def test_stack_with_the_direct_transport_needs_no_pcscd(tmp_path: Path) -> None:
    settings = load_settings(root=tmp_path, environ={"TPCD_CARD_TRANSPORT": "direct"})
    with Stack(settings) as stack:
        assert stack.urls["reader"] == DIRECT_READER
        assert stack.pcsc_socket is None
        assert stack.card is not None
        stack.card.insert(card_holder(make_citizen(5)))


def test_unknown_transport_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="card_transport 'usb' must be one of pcsc, direct"):
        load_settings(root=tmp_path, environ={"TPCD_CARD_TRANSPORT": "usb"})


def test_missing_vpcd_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pcscd_module, "VPCD_DRIVER", tmp_path / "libifdvpcd.so")
    with pytest.raises(PcscUnavailable, match="apt-get install -y vsmartcard-vpcd"):
        PcscHost().start()
