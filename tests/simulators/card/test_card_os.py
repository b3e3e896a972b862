"""The card OS in-process, command by command (simulators/card/APDU.md)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from simulators.card.card_os import SHA256_DIGEST_INFO, MoicaCardOS
from simulators.card.pki import TestPki
from simulators.card.profile import ATR, MOICA_AID
from tests.simulators.card.holder import CARD_NUMBER, PIN, PUK


def run(card: MoicaCardOS, hexed: str, data: bytes = b"") -> tuple[bytes, int]:
    response = card.execute(bytes.fromhex(hexed.replace(" ", "")) + data)
    return response[:-2], int.from_bytes(response[-2:], "big")


def lc(data: bytes) -> str:
    return f"{len(data):02X}"


def read_file(card: MoicaCardOS, fid: str) -> bytes:
    assert run(card, f"00 A4 02 0C 02 {fid}")[1] == 0x9000
    content, offset = b"", 0
    while True:
        chunk, sw = run(card, f"00 B0 {offset >> 8:02X} {offset & 0xFF:02X} E0")
        content += chunk
        offset += len(chunk)
        if sw == 0x6282 or not chunk:
            return content
        assert sw == 0x9000


def verify(card: MoicaCardOS, pin: str) -> int:
    return run(card, f"00 20 00 81 {len(pin):02X}", pin.encode())[1]


def pad(pin: str) -> bytes:
    return pin.encode().ljust(8, b"\xff")


def digest_info(message: bytes) -> bytes:
    return SHA256_DIGEST_INFO + hashlib.sha256(message).digest()


def sign(card: MoicaCardOS, message: bytes) -> tuple[bytes, int]:
    return run(card, "00 2A 9E 9A 33", digest_info(message) + b"\x00")


def test_atr_and_the_application_is_selected_at_power_on(card: MoicaCardOS) -> None:
    assert card.getATR() == ATR
    assert verify(card, PIN) == 0x9000  # VERIFY straight after connecting, no SELECT first
    assert run(card, f"00 A4 04 00 {lc(MOICA_AID)}", MOICA_AID)[1] == 0x9000
    assert run(card, "00 A4 04 00 05 A000000001")[1] == 0x6A82


def test_certificates_read_in_chunks_parse(card: MoicaCardOS) -> None:
    sign_cert = x509.load_der_x509_certificate(read_file(card, "1001"))
    enc_cert = x509.load_der_x509_certificate(read_file(card, "1002"))
    assert sign_cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value == "王小明"
    assert sign_cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert enc_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment


def test_the_issuing_ca_certificate_is_on_the_card(card: MoicaCardOS, pki: TestPki) -> None:
    ca = x509.load_der_x509_certificate(read_file(card, "1003"))
    assert ca == pki.ca_cert
    x509.load_der_x509_certificate(read_file(card, "1001")).verify_directly_issued_by(ca)
    without = MoicaCardOS(replace(card.content, ca_cert_der=b""))
    assert run(without, "00 A4 02 0C 02 1003")[1] == 0x6A82
    assert run(card, "00 A4 02 0C 02 1004")[1] == 0x6A82


def test_select_returns_fci_with_the_file_size(card: MoicaCardOS) -> None:
    fci, sw = run(card, "00 A4 02 00 02 1001")
    assert sw == 0x9000
    assert fci[:4] == bytes.fromhex("62088002")
    assert int.from_bytes(fci[4:6], "big") == len(card.content.sign_cert_der)


def test_read_binary_offsets_extended_length_and_end_of_file(card: MoicaCardOS) -> None:
    size = len(card.content.sign_cert_der)
    run(card, "00 A4 02 0C 02 1001")
    whole, sw = run(card, "00 B0 00 00 00 FF FF")  # extended Le
    assert (whole, sw) == (card.content.sign_cert_der, 0x6282)
    tail, sw = run(card, f"00 B0 {(size - 4) >> 8:02X} {(size - 4) & 0xFF:02X} 04")
    assert (tail, sw) == (card.content.sign_cert_der[-4:], 0x9000)
    assert run(card, f"00 B0 {(size + 1) >> 8:02X} {(size + 1) & 0xFF:02X} 01")[1] == 0x6B00
    assert run(card, "00 B0 00 00")[1] == 0x6700  # no Le


def test_read_binary_needs_a_selected_file(card: MoicaCardOS) -> None:
    assert run(card, "00 B0 00 00 10")[1] == 0x6986
    assert run(card, "00 A4 02 0C 02 9999")[1] == 0x6A82


def test_get_data_card_number(card: MoicaCardOS) -> None:
    assert run(card, "00 CA 01 01 00") == (CARD_NUMBER.encode(), 0x9000)
    assert run(card, "00 CA 01 02 00")[1] == 0x6A88


def test_pin_tries_then_blocked(card: MoicaCardOS) -> None:
    assert run(card, "00 20 00 81")[1] == 0x63C3
    assert [verify(card, "000000") for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    assert verify(card, PIN) == 0x6983
    assert run(card, "00 20 00 81")[1] == 0x6983


def test_right_pin_resets_the_counter_and_empty_verify_reports_verified(card: MoicaCardOS) -> None:
    assert verify(card, "000000") == 0x63C2
    assert verify(card, PIN) == 0x9000
    assert run(card, "00 20 00 81")[1] == 0x9000
    assert card.pin_tries == 3


def test_pin_padding_and_bad_lengths(card: MoicaCardOS) -> None:
    padded = PIN.encode() + b"\xff" * (8 - len(PIN))
    assert run(card, "00 20 00 81 08", padded)[1] == 0x9000
    assert verify(card, "12345") == 0x6700
    assert verify(card, "123456789") == 0x6700
    assert card.pin_tries == 3  # a malformed PIN costs no try
    assert run(card, "00 20 00 82 06", b"123456")[1] == 0x6A86


def test_sign_needs_the_pin_and_verifies_with_the_certificate(card: MoicaCardOS) -> None:
    assert sign(card, b"nonce")[1] == 0x6982
    verify(card, PIN)
    signature, sw = sign(card, b"nonce")
    assert sw == 0x9000
    assert len(signature) == 256
    public = x509.load_der_x509_certificate(card.content.sign_cert_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"nonce", padding.PKCS1v15(), hashes.SHA256())


def test_sign_refuses_what_is_not_a_sha256_digest_info(card: MoicaCardOS) -> None:
    verify(card, PIN)
    assert run(card, "00 2A 9E 9A 20", hashlib.sha256(b"x").digest() + b"\x00")[1] == 0x6A80


def test_mse_selects_keys_and_the_encryption_key_does_not_sign(card: MoicaCardOS) -> None:
    verify(card, PIN)
    assert run(card, "00 22 41 B6 06 840102 800102")[1] == 0x9000
    assert sign(card, b"x")[1] == 0x6985
    assert run(card, "00 22 41 B6 03 840101")[1] == 0x9000
    assert sign(card, b"x")[1] == 0x9000
    assert run(card, "00 22 41 B6 03 840109")[1] == 0x6A88
    assert run(card, "00 22 41 B6 02 8401")[1] == 0x6A80
    assert run(card, "00 22 81 B6 03 840101")[1] == 0x6A86


def test_decipher_with_chaining_and_extended_length(card: MoicaCardOS) -> None:
    public = x509.load_der_x509_certificate(card.content.enc_cert_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    cryptogram = b"\x00" + public.encrypt(b"session key", padding.PKCS1v15())
    assert run(card, "00 2A 80 86 00 0101", cryptogram + b"\x00\x00")[1] == 0x6982
    verify(card, PIN)
    assert run(card, "00 2A 80 86 00 0101", cryptogram + b"\x00\x00") == (b"session key", 0x9000)
    assert run(card, "10 2A 80 86 80", cryptogram[:128])[1] == 0x9000
    assert run(card, "00 2A 80 86 81", cryptogram[128:] + b"\x00") == (b"session key", 0x9000)
    assert run(card, "00 2A 80 86 02 0001")[1] == 0x6A80


def test_change_pin_and_reset_retry_counter(card: MoicaCardOS) -> None:
    assert run(card, "00 24 00 81 10", pad("000000") + pad("654321"))[1] == 0x63C2
    assert run(card, "00 24 00 81 10", pad(PIN) + pad("654321"))[1] == 0x9000
    assert verify(card, "654321") == 0x9000
    for _ in range(3):
        verify(card, "000000")
    assert verify(card, "654321") == 0x6983
    assert run(card, "00 2C 00 81 10", b"99999999" + pad("111111"))[1] == 0x63C9
    assert run(card, "00 2C 00 81 10", PUK.encode() + pad("111111"))[1] == 0x9000
    assert verify(card, "111111") == 0x9000
    assert run(card, "00 2C 01 81 08", PUK.encode())[1] == 0x9000
    assert run(card, "00 2C 00 81 08", PUK.encode())[1] == 0x6700


def test_reset_forgets_the_pin(card: MoicaCardOS) -> None:
    verify(card, PIN)
    card.reset()
    assert sign(card, b"x")[1] == 0x6982


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("80 A4 04 00 01 00", 0x6E00),
        ("00 FF 00 00", 0x6D00),
        ("00 A4 04", 0x6700),
        ("00 A4 04 00 05 01", 0x6700),
        ("00 A4 01 00 02 1001", 0x6A86),
        ("00 A4 02 00 01 10", 0x6700),
        ("00 B0 80 00 10", 0x6A86),
    ],
    ids=["class", "instruction", "too-short", "lc-mismatch", "select-p1", "fid-length", "short-ef"],
)
def test_everything_else_gets_its_status_word(card: MoicaCardOS, apdu: str, sw: int) -> None:
    assert run(card, apdu)[1] == sw


def test_transcript_masks_pins(card: MoicaCardOS) -> None:
    verify(card, PIN)
    run(card, "00 CA 01 01 00")
    commands = [exchange.command for exchange in card.transcript]
    assert commands[0] == "00 20 00 81 06 2a 2a 2a 2a 2a 2a"
    assert PIN.encode().hex(" ") not in " ".join(commands)
    assert card.transcript[1].response.endswith("90 00")
