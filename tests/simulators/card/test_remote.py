"""The card for another machine's reader (`tpcd card`): the vpcd link outward, its control surface and token, the
reader unplugged from our own pcscd. The whole thing against a real second pcscd + vpcd is tests/harness/
test_certify_remote.py; here a listener speaking vpcd's framing (vsmartcard doc/api.txt) stands in for the driver."""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from smartcard.System import readers

from domain.card import CardHolder
from harness.settings import SettingsError, load_settings
from harness.stack import Stack
from simulators.card import CardSlot, KeyPool, TestPki
from simulators.card.client import CardControlClient, RemoteReader
from simulators.card.pcscd import acquire_host, release_host
from simulators.card.profile import ATR
from simulators.card.service import CardServer, CardServerSettings
from simulators.client import SimulatorError
from tests.simulators.card.fake_vpcd import FakeVpcd

ROOT = Path(__file__).resolve().parents[3]
HOLDER = CardHolder("黃雅婷", "B223456782", "TPCD000000000051", "246810", "13572468", seed=51)


@pytest.fixture
def vpcd() -> Iterator[FakeVpcd]:
    reader = FakeVpcd()
    try:
        yield reader
    finally:
        reader.close()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("192.0.2.10:35963", RemoteReader("192.0.2.10", 35963)),
        ("vendor-pc", RemoteReader("vendor-pc", 35963)),
        ("[2001:db8::1]:35964", RemoteReader("2001:db8::1", 35964)),
    ],
)
def test_vpcd_addresses(address: str, expected: RemoteReader) -> None:
    assert RemoteReader.parse(address) == expected


@pytest.mark.parametrize("address", [":35963", "vendor-pc:", "vendor-pc:port", "vendor-pc:70000"])
def test_bad_vpcd_addresses_say_what_is_expected(address: str) -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT of a vpcd reader"):
        RemoteReader.parse(address)


def test_the_card_goes_into_a_remote_reader(vpcd: FakeVpcd, pki: TestPki) -> None:
    slot = CardSlot(RemoteReader("127.0.0.1", vpcd.port), pki)
    try:
        slot.insert(HOLDER)  # returns once the reader has asked for the ATR
        assert vpcd.done.wait(5)
        assert vpcd.atr == ATR
        assert vpcd.response == bytes.fromhex("9000")
        assert slot.reader == f"vpcd 127.0.0.1:{vpcd.port}"
    finally:
        slot.close()


def test_a_reader_that_never_asks_for_the_card_is_reported(pki: TestPki) -> None:
    silent = FakeVpcd(polls=False)  # as vpcd leaves a second card in its backlog while another holds the slot
    slot = CardSlot(RemoteReader("127.0.0.1", silent.port, wait=1.0), pki)
    try:
        with pytest.raises(TimeoutError, match="is another card plugged into that reader"):
            slot.insert(HOLDER)
    finally:
        slot.close()
        silent.close()


def test_an_unreachable_reader_is_reported(pki: TestPki) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    slot = CardSlot(RemoteReader("127.0.0.1", port), pki)
    try:
        with pytest.raises(ConnectionError, match="is vsmartcard's vpcd running there"):
            slot.insert(HOLDER)
    finally:
        slot.close()


def test_the_card_service_guards_its_controls_with_a_token(vpcd: FakeVpcd) -> None:
    settings = CardServerSettings(RemoteReader("127.0.0.1", vpcd.port), token="s3cret-token")
    with CardServer(settings) as service:
        service.insert(HOLDER)
        control = service.urls["control"]
        assert requests.get(control + "/_control/card", timeout=10).status_code == 401
        assert requests.get(control + "/healthz", timeout=10).status_code == 200
        assert requests.post(service.urls["ocsp"] + "/_control/reset", timeout=10).status_code == 401
        assert requests.get(service.urls["ocsp"] + "/crl", timeout=10).status_code == 200  # as open as MOICA's
        with CardControlClient(control, token="wrong") as wrong, pytest.raises(SimulatorError, match="401"):
            wrong.state()
        with CardControlClient(control, token="s3cret-token") as client:
            state = client.state()
            assert (state.inserted, state.card_number, state.pin_tries) == (True, HOLDER.card_number, 3)
            client.set_tries_left(1)
            assert client.state().pin_tries == 1
            with pytest.raises(SimulatorError, match="409"):
                client.plug(False)  # the reader is on the other machine
            chain = x509.load_pem_x509_certificates(client.chain_pem())
            assert service.card is not None
            pki = service.card.slot.pki
            assert isinstance(pki, TestPki)
            assert [cert.subject for cert in chain] == [pki.ca_cert.subject, pki.root_cert.subject]


def test_a_control_surface_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(ValueError, match="needs a bearer token"):
        CardServer(CardServerSettings(RemoteReader("192.0.2.10"), listen="192.0.2.1"))


@pytest.mark.parametrize(
    ("vpcd_address", "code", "said"),
    [("vendor-pc:port", 2, "expected HOST:PORT"), ("127.0.0.1:1", 1, "could not reach vpcd on 127.0.0.1:1")],
)
def test_tpcd_card_says_what_is_wrong_in_one_line(vpcd_address: str, code: int, said: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "card", "--vpcd", vpcd_address],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == code
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def _unplug_and_plug_back() -> None:
    """In a process of its own: unplugging stops pcscd, which must then serve this slot alone (libpcsclite talks to one
    pcscd per process, so another test's stack in this process would hold a slot of the same pcscd)."""
    pool = KeyPool()
    host = acquire_host()
    slot = CardSlot(host, TestPki(pool))
    try:
        slot.insert(HOLDER)
        slot.unplug()
        assert slot.reader not in [str(reader) for reader in _readers()]
        slot.plug()
        assert slot.reader in [str(reader) for reader in _readers()]
        connection = next(r for r in readers() if str(r) == slot.reader).createConnection()
        connection.connect()  # the card came back with the reader
        assert bytes(connection.getATR()) == ATR
        connection.disconnect()
        connection.release()
    finally:
        slot.close()
        release_host()
        pool.close()


@pytest.mark.pcsc
def test_the_reader_of_our_own_pcscd_unplugs() -> None:
    process = multiprocessing.get_context("spawn").Process(target=_unplug_and_plug_back)
    process.start()
    process.join(120)
    assert process.exitcode == 0, "unplugging and plugging back the reader failed: see the traceback above"


def _readers() -> list[object]:
    try:
        return list(readers())
    except Exception:  # no PC/SC service at all: no reader
        return []


def test_a_stack_puts_its_card_in_the_remote_reader_its_settings_name(vpcd: FakeVpcd, tmp_path: Path) -> None:
    settings = load_settings(root=tmp_path, environ={"TPCD_CARD_VPCD": f"127.0.0.1:{vpcd.port}"})
    with Stack(settings) as stack:
        assert stack.urls["reader"] == f"vpcd 127.0.0.1:{vpcd.port}"
        assert stack.pcsc_socket is None  # no private pcscd: the reader is elsewhere
        with CardControlClient(stack.urls["agent_desktop"]) as control:
            control.insert(HOLDER)
            assert control.state().card_number == HOLDER.card_number
        assert vpcd.done.wait(5)
        assert vpcd.atr == ATR


def test_a_misspelt_vpcd_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="card_vpcd 'vendor-pc' must be HOST:PORT"):
        load_settings(root=tmp_path, environ={"TPCD_CARD_VPCD": "vendor-pc"})
