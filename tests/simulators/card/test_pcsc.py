"""The card in a real pcscd reader slot (vpcd), as any PC/SC client sees it: pyscard, pcsc_scan, opensc-tool."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from smartcard import scard
from smartcard.CardConnection import CardConnection
from smartcard.Exceptions import CardConnectionException
from smartcard.System import readers

from domain.card import CardHolder
from simulators.card import CardSlot
from simulators.card.card_os import SHA256_DIGEST_INFO
from simulators.card.pcscd import FIRST_PORT, acquire_host, release_host
from simulators.card.pki import TestPki
from simulators.card.profile import ATR

pytestmark = pytest.mark.pcsc
HOLDER = CardHolder("林美玲", "F223456784", "TPCD000011112222", "13579246", "86420864", seed=31)


@pytest.fixture(scope="module")
def slot(pki: TestPki) -> Iterator[CardSlot]:
    host = acquire_host()
    slot = CardSlot(host, pki)
    try:
        yield slot
    finally:
        slot.close()
        release_host()


@pytest.fixture
def connection(slot: CardSlot) -> Iterator[CardConnection]:
    slot.insert(HOLDER)
    (reader,) = [r for r in readers() if str(r) == slot.reader]
    connection = reader.createConnection()
    connection.connect()
    try:
        yield connection
    finally:
        try:
            connection.disconnect()
            connection.release()
        except CardConnectionException:
            pass  # the card was pulled out by the test
        slot.remove()


def transmit(connection: CardConnection, hexed: str, data: bytes = b"") -> tuple[bytes, int]:
    response, sw1, sw2 = connection.transmit(list(bytes.fromhex(hexed.replace(" ", "")) + data))
    return bytes(response), (sw1 << 8) | sw2


def read_certificate(connection: CardConnection, fid: str) -> x509.Certificate:
    assert transmit(connection, f"00 A4 02 0C 02 {fid}")[1] == 0x9000
    content = b""
    while True:
        chunk, sw = transmit(connection, f"00 B0 {len(content) >> 8:02X} {len(content) & 0xFF:02X} E0")
        content += chunk
        if sw != 0x9000:
            return x509.load_der_x509_certificate(content)


def test_reader_listed_and_atr(slot: CardSlot, connection: CardConnection) -> None:
    assert slot.reader in [str(r) for r in readers()]
    assert bytes(connection.getATR()) == ATR


def test_pcscd_negotiates_t1_as_with_the_real_moica_card(slot: CardSlot, connection: CardConnection) -> None:
    assert connection.getProtocol() == CardConnection.T1_protocol  # the ATR offers T=1 only (TD1 81, TD2 31)
    (reader,) = [r for r in readers() if str(r) == slot.reader]
    t0_only = reader.createConnection()
    with pytest.raises(CardConnectionException) as refused:
        t0_only.connect(CardConnection.T0_protocol)
    assert refused.value.hresult == scard.SCARD_E_PROTO_MISMATCH
    t0_only.release()


def test_certificates_read_and_parsed(connection: CardConnection) -> None:
    signing = read_certificate(connection, "1001")
    assert signing.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value == HOLDER.name
    sda = signing.extensions.get_extension_for_oid(x509.ObjectIdentifier("2.5.29.9")).value.value  # type: ignore[attr-defined]
    attributes = asn1_x509.SubjectDirectoryAttributes.load(sda)
    last4 = HOLDER.id_number[-4:]
    assert {a["type"].dotted: a["values"].native for a in attributes} == {"2.16.886.1.100.2.51": [last4]}
    assert signing.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    encryption = read_certificate(connection, "1002")
    assert encryption.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment


def test_pin_then_signature_verified_with_the_certificate_key(connection: CardConnection) -> None:
    assert transmit(connection, "00 20 00 81 08", HOLDER.pin.encode())[1] == 0x9000
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(b"server nonce").digest()
    signature, sw = transmit(connection, "00 2A 9E 9A 33", digest_info + b"\x00")
    assert sw == 0x9000
    public = read_certificate(connection, "1001").public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"server nonce", padding.PKCS1v15(), hashes.SHA256())


def test_three_wrong_pins_block_the_card(connection: CardConnection) -> None:
    codes = [transmit(connection, "00 20 00 81 06", b"000000")[1] for _ in range(3)]
    assert codes == [0x63C2, 0x63C1, 0x63C0]
    assert transmit(connection, "00 20 00 81 08", HOLDER.pin.encode())[1] == 0x6983


def test_card_removed_mid_transaction_gives_the_pcsc_error(slot: CardSlot, connection: CardConnection) -> None:
    assert transmit(connection, "00 CA 01 01 00") == (HOLDER.card_number.encode(), 0x9000)
    slot.remove()
    with pytest.raises(CardConnectionException) as raised:
        transmit(connection, "00 CA 01 01 00")
    assert raised.value.hresult in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD)


def test_other_pcsc_clients_see_the_card(slot: CardSlot, connection: CardConnection) -> None:
    environment = dict(os.environ)  # PCSCLITE_CSOCK_NAME points at the private pcscd
    tools = subprocess.run(
        ["opensc-tool", "--list-readers"], env=environment, capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert slot.reader in tools
    index = next(line.split()[0] for line in tools.splitlines() if line.endswith(slot.reader))
    atr = subprocess.run(
        ["opensc-tool", "--reader", index, "--atr"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert atr.strip() == ATR.hex(":")
    scan = subprocess.run(["pcsc_scan", "-t", "2"], env=environment, capture_output=True, text=True, timeout=30)
    assert slot.reader in scan.stdout
    assert ATR.hex(" ").upper() in scan.stdout


def test_pcsc_scan_identifies_a_moica_card(slot: CardSlot, connection: CardConnection, tmp_path: Path) -> None:
    # An empty HOME: ATR_analysis reads ~/.cache/smartcard_list.txt first; this way it reads pcsc-tools' own list.
    environment = {**os.environ, "HOME": str(tmp_path)}
    scan = subprocess.run(["pcsc_scan", "-t", "2"], env=environment, capture_output=True, text=True, timeout=30)
    analysis = scan.stdout[scan.stdout.index("Possibly identified card") :]
    assert "citizen digital certificate (PKI)" in analysis
    assert "moica.nat.gov.tw" in analysis
    assert "Protocol T = 1" in scan.stdout
    assert "Protocol T = 0" not in scan.stdout


def test_the_card_port_is_not_reachable_from_this_network_namespace(slot: CardSlot) -> None:
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", FIRST_PORT)) != 0


def test_insert_and_remove_at_will(slot: CardSlot) -> None:
    for _ in range(3):
        slot.insert(HOLDER)
        assert slot.inserted
        slot.remove()
        assert not slot.inserted


def test_card_pulled_out_before_the_signature(slot: CardSlot, connection: CardConnection) -> None:
    assert slot.card is not None
    slot.card.pull_out_before_signing = True
    assert transmit(connection, "00 20 00 81 08", HOLDER.pin.encode())[1] == 0x9000
    with pytest.raises(CardConnectionException):
        transmit(connection, "00 2A 9E 9A 33", SHA256_DIGEST_INFO + bytes(32) + b"\x00")
    slot.remove()
    slot.insert(HOLDER)  # the slot takes a card again after one dropped out mid-command
    assert slot.inserted


def _present(reader: str) -> bool:
    """Whether pcscd reports a card in `reader` right now (no waiting)."""
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert result == scard.SCARD_S_SUCCESS
    try:
        result, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        return bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(context)


def test_a_card_inserted_without_waiting_is_in_the_hand_at_once_and_in_the_reader_once_settled(slot: CardSlot) -> None:
    slot.insert(HOLDER, wait=False)
    assert slot.holder == HOLDER
    assert slot.inserted
    assert not _present(slot.reader)  # pcscd notices at its next poll, while the caller goes on
    slot.settle()
    assert _present(slot.reader)
    slot.remove(wait=False)
    assert not slot.inserted
    slot.settle()
    assert not _present(slot.reader)


def test_changes_reach_the_reader_in_the_order_they_were_made(slot: CardSlot) -> None:
    slot.insert(HOLDER, wait=False)
    slot.remove(wait=False)
    slot.insert(HOLDER, wait=False)
    slot.settle()
    assert _present(slot.reader)
    slot.remove(wait=False)
    slot.insert(HOLDER, wait=False)
    slot.remove(wait=False)
    slot.settle()
    assert not _present(slot.reader)


def test_a_change_nobody_waited_for_reports_its_failure_at_settle_once(
    slot: CardSlot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_: object, **__: object) -> None:
        raise TimeoutError("pcscd did not report a card")

    monkeypatch.setattr(slot, "_connect", refused)
    slot.insert(HOLDER, wait=False)  # returns: the failure comes later, on the reader's thread
    slot.settle_quietly()  # the agent, which must carry on, is not the one told
    with pytest.raises(TimeoutError, match="did not report a card"):
        slot.settle()
    slot.settle()  # told once
    monkeypatch.undo()
    slot.remove()
