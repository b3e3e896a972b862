"""The card's PIV application as middleware nobody here wrote reads it: OpenSC (pkcs11-tool and its PKCS#11 module
through python-pkcs11), yubico-piv-tool, openssl; and the one PIN both applications share.

python-pkcs11, not PyKCS11: PyKCS11 keeps the GIL through every PKCS#11 call, so a module talking to a card served
by a thread of the same process (vpcd.py) waits forever."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pkcs11 import Attribute, Mechanism, ObjectClass, SlotFlag, TokenFlag
from pkcs11 import lib as load_module
from pkcs11._pkcs11 import lib as Pkcs11Module
from pkcs11.exceptions import PinIncorrect, PinLocked
from pkcs11.types import DecryptMixin, SignMixin, Slot
from smartcard.System import readers

from domain.card import CardHolder
from simulators.agent.pkcs11 import OPENSC_MODULE
from simulators.card import CardSlot
from simulators.card.card_os import MoicaCardOS
from simulators.card.pcscd import acquire_host, release_host
from simulators.card.piv import PIV_AID
from simulators.card.pki import TestPki

pytestmark = pytest.mark.pcsc
OPENSC = OPENSC_MODULE
HOLDER = CardHolder("林美玲", "F223456784", "TPCD000011112222", "13579246", "86420864", seed=31)
WRONG_PIN = "000000"


def apdu(card: MoicaCardOS, hexed: str, data: bytes = b"") -> tuple[bytes, int]:
    response = card.execute(bytes.fromhex(hexed.replace(" ", "")) + data)
    return response[:-2], int.from_bytes(response[-2:], "big")


# in-process: what no middleware test below shows by itself


def test_select_by_the_piv_aid_answers_the_application_property_template(card: MoicaCardOS) -> None:
    data, sw = apdu(card, "00 A4 04 00 09", PIV_AID[:9] + b"\x00")
    assert sw == 0x9000
    assert data.startswith(b"\x61")
    assert b"\x4f\x06" + PIV_AID[5:] in data


def test_a_wrong_pin_in_either_application_spends_the_one_counter(card: MoicaCardOS) -> None:
    assert apdu(card, "00 A4 04 00 0B", PIV_AID)[1] == 0x9000
    assert apdu(card, "00 20 00 80 08", b"111111\xff\xff")[1] == 0x63C2
    assert apdu(card, "00 A4 04 00 0A D158000001", b"MOICA")[1] == 0x9000
    assert apdu(card, "00 20 00 81")[1] == 0x63C2  # the MOICA application sees the try spent in PIV
    assert apdu(card, "00 20 00 81 06", b"222222")[1] == 0x63C1
    assert apdu(card, "00 A4 04 00 05", PIV_AID[:5])[1] == 0x9000  # the RID alone selects PIV too
    assert apdu(card, "00 20 00 80")[1] == 0x63C1


def test_the_signature_key_needs_the_pin_right_before_each_use(card: MoicaCardOS) -> None:
    assert apdu(card, "00 A4 04 00 0B", PIV_AID)[1] == 0x9000
    assert apdu(card, "00 20 00 80 08", b"246813\xff\xff")[1] == 0x9000
    block = b"\x00\x01" + b"\xff" * 200 + b"\x00" + bytes(53)
    template = b"\x7c\x82\x01\x06\x82\x00\x81\x82\x01\x00" + block
    assert apdu(card, "10 87 07 9C FF", template[:255])[1] == 0x9000  # command chaining
    first, sw = apdu(card, "00 87 07 9C", bytes([len(template) - 255]) + template[255:] + b"\x00")
    assert sw == 0x6108
    assert first.startswith(b"\x7c\x82\x01\x04\x82\x82\x01\x00")
    rest, sw = apdu(card, "00 C0 00 00 08")
    assert sw == 0x9000
    assert len(first + rest) == 264
    assert apdu(card, "10 87 07 9C FF", template[:255])[1] == 0x9000
    assert apdu(card, "00 87 07 9C", bytes([len(template) - 255]) + template[255:] + b"\x00")[1] == 0x6982


# through a real reader: the card in a slot of the private pcscd


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
def inserted(slot: CardSlot) -> Iterator[CardSlot]:
    slot.insert(HOLDER)
    try:
        yield slot
    finally:
        slot.remove()


def tool(*command: str) -> subprocess.CompletedProcess[str]:
    """A middleware tool, on the private pcscd (PCSCLITE_CSOCK_NAME is in this process's environment)."""
    return subprocess.run(list(command), env=dict(os.environ), capture_output=True, text=True, timeout=120)


def pkcs11_tool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return tool("pkcs11-tool", "--module", str(OPENSC), *arguments)


def token_flags(reader: str) -> str:
    """The token flags pkcs11-tool lists for the token in `reader`."""
    listing = pkcs11_tool("-T").stdout
    block = listing[listing.index(reader) :]
    return re.search(r"token flags\s*:\s*(.*)", block).group(1)  # type: ignore[union-attr]


def test_opensc_lists_the_token_and_its_certificates(inserted: CardSlot) -> None:
    slots = pkcs11_tool("-L")
    assert slots.returncode == 0, slots.stderr
    assert f"{inserted.reader}\n  token label        : {HOLDER.name}" in slots.stdout
    objects = pkcs11_tool("-O")
    assert objects.returncode == 0, objects.stderr
    for label in (
        "Certificate for Digital Signature",
        "Certificate for Key Management",
        "Card Holder Unique Identifier",
    ):
        assert label in objects.stdout


def test_opensc_signs_with_the_pin_and_openssl_verifies_it(inserted: CardSlot, tmp_path: Path) -> None:
    message, signature, certificate = tmp_path / "tbs", tmp_path / "signature", tmp_path / "cert.der"
    message.write_text("臺北卡3.0 金卡會員", encoding="utf-8")
    signed = pkcs11_tool(
        "--login", "--pin", HOLDER.pin, "--sign", "-m", "SHA256-RSA-PKCS", "--id", "02",
        "-i", str(message), "-o", str(signature),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert pkcs11_tool("--read-object", "--type", "cert", "--id", "02", "-o", str(certificate)).returncode == 0
    assert inserted.certificates is not None
    assert certificate.read_bytes() == inserted.certificates.sign_cert.public_bytes(serialization.Encoding.DER)
    public = tmp_path / "public.pem"
    assert tool("openssl", "x509", "-inform", "DER", "-in", str(certificate), "-pubkey", "-noout", "-out", str(public))
    verified = tool("openssl", "dgst", "-sha256", "-verify", str(public), "-signature", str(signature), str(message))
    assert verified.stdout.strip() == "Verified OK", verified.stderr
    tampered = tmp_path / "tampered"
    tampered.write_bytes(message.read_bytes() + b"!")
    assert tool("openssl", "dgst", "-sha256", "-verify", str(public), "-signature", str(signature), str(tampered))


def test_wrong_pins_through_opensc_set_the_token_flags_then_block_both_applications(inserted: CardSlot) -> None:
    def login(pin: str) -> str:
        done = pkcs11_tool("--login", "--pin", pin, "--sign", "--id", "02", "-m", "SHA256-RSA-PKCS", "-i", "/dev/null")
        return done.stdout + done.stderr

    # OpenSC's PIV driver learns tries left (VERIFY's 63Cx) but never the maximum, so it sets no "count low" flag
    # while more than one try is left: final try, then locked.
    assert "CKR_PIN_INCORRECT" in login(WRONG_PIN)
    assert "final user PIN try" not in token_flags(inserted.reader)
    assert "CKR_PIN_INCORRECT" in login(WRONG_PIN)
    assert "final user PIN try" in token_flags(inserted.reader)
    assert "CKR_PIN_INCORRECT" in login(WRONG_PIN)  # 63C0: this try was the last
    assert "user PIN locked" in token_flags(inserted.reader)
    assert "CKR_PIN_LOCKED" in login(HOLDER.pin)  # 6983 from now on, even for the right PIN
    (reader,) = [r for r in readers() if str(r) == inserted.reader]
    connection = reader.createConnection()
    connection.connect()
    try:
        select = [0x00, 0xA4, 0x04, 0x00, 0x0A, 0xD1, 0x58, 0x00, 0x00, 0x01, *b"MOICA"]
        assert connection.transmit(select)[1:] == (0x90, 0x00)
        assert connection.transmit([0x00, 0x20, 0x00, 0x81, 0x06, *HOLDER.pin[:6].encode()])[1:] == (0x69, 0x83)
    finally:
        connection.disconnect()


def test_yubico_piv_tool_reads_the_status(inserted: CardSlot) -> None:
    status = tool("yubico-piv-tool", "--reader", inserted.reader, "--action", "status")
    assert status.returncode == 0, status.stderr
    assert HOLDER.card_number.encode().hex() in status.stdout  # the CHUID's GUID
    for key in ("9a", "9c", "9d"):
        assert f"Slot {key}:\t\n\tAlgorithm:\tRSA2048" in status.stdout
    assert "PIN tries left:\t3" in status.stdout


@pytest.fixture(scope="module")
def opensc() -> Pkcs11Module:
    """OpenSC's PKCS#11 module (python-pkcs11 loads a module once per process)."""
    return load_module(str(OPENSC))


def token_slot(module: Pkcs11Module, reader: str) -> Slot:
    """The module's slot for `reader` (its description is the PC/SC reader name)."""
    (found,) = [s for s in module.get_slots() if s.slot_description.strip() == reader]
    return found


def test_python_pkcs11_signs_and_deciphers_with_the_cards_keys(inserted: CardSlot, opensc: Pkcs11Module) -> None:
    found = token_slot(opensc, inserted.reader)
    assert found.flags & SlotFlag.TOKEN_PRESENT
    assert inserted.certificates is not None
    with found.get_token().open(user_pin=HOLDER.pin) as session:
        certificates = {
            bytes(o[Attribute.ID]): bytes(o[Attribute.VALUE])
            for o in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        }
        der = serialization.Encoding.DER
        assert certificates[b"\x02"] == inserted.certificates.sign_cert.public_bytes(der)
        assert certificates[b"\x03"] == inserted.certificates.enc_cert.public_bytes(der)
        signing = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=b"\x02")
        assert isinstance(signing, SignMixin)
        assert signing[Attribute.ALWAYS_AUTHENTICATE]  # 9C: "PIN Always"
        message = "臺北卡".encode()
        signature = signing.sign(message, mechanism=Mechanism.SHA256_RSA_PKCS, pin=HOLDER.pin)
        public = x509.load_der_x509_certificate(certificates[b"\x02"]).public_key()
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        enc_public = inserted.certificates.enc_cert.public_key()
        assert isinstance(enc_public, rsa.RSAPublicKey)
        cryptogram = enc_public.encrypt(b"gold member", padding.PKCS1v15())
        deciphering = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=b"\x03")
        assert isinstance(deciphering, DecryptMixin)
        assert deciphering.decrypt(cryptogram, mechanism=Mechanism.RSA_PKCS) == b"gold member"


def test_python_pkcs11_sees_the_tries_left_in_the_token_flags(inserted: CardSlot, opensc: Pkcs11Module) -> None:
    token = token_slot(opensc, inserted.reader).get_token()
    outcomes = []
    for _ in range(4):
        try:
            token.open(user_pin=WRONG_PIN).close()
            failure = "signed in"
        except PinIncorrect:
            failure = "CKR_PIN_INCORRECT"
        except PinLocked:
            failure = "CKR_PIN_LOCKED"
        flags = token.slot.get_token().flags
        low, final, locked = (
            bool(flags & f)
            for f in (TokenFlag.USER_PIN_COUNT_LOW, TokenFlag.USER_PIN_FINAL_TRY, TokenFlag.USER_PIN_LOCKED)
        )
        outcomes.append((failure, low, final, locked))
    assert outcomes == [
        ("CKR_PIN_INCORRECT", False, False, False),
        ("CKR_PIN_INCORRECT", False, True, False),
        ("CKR_PIN_INCORRECT", False, False, True),
        ("CKR_PIN_LOCKED", False, False, True),
    ]
    assert inserted.card is not None
    assert inserted.card.pin_tries == 0
