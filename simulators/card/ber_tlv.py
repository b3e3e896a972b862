"""BER-TLV of the card's APDU data objects, written by hand on purpose: it is not ASN.1 DER.

The PIV objects (NIST SP 800-73-4: 0x53, 0x5C, 0x7C, the CHUID's 0x30/0x34 …) are ISO/IEC 7816-4 interindustry data
objects: PIV treats their tags as opaque bytes and does not honour the constructed bit (0x53 is "primitive" yet holds
nested objects), and no ASN.1 module describes them, so asn1crypto, which parses a value by its ASN.1 type, has nothing
to load them as. Real ASN.1 (certificates, the Subject Directory Attributes extension, OCSP) goes through asn1crypto or
`cryptography` instead. One-byte tags only: the card's profile reads no other (simulators/card/APDU.md).
"""

from __future__ import annotations


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, value: bytes) -> bytes:
    """One data object: a one-byte tag, the definite length (short or long form) and the value."""
    return bytes([tag]) + _length(len(value)) + value


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, offset after the object) of the one-byte-tag object at `offset`; ValueError when truncated."""
    if offset + 2 > len(data):
        raise ValueError("truncated BER-TLV data object")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    else:
        length = first
    if offset + length > len(data):
        raise ValueError("BER-TLV data object longer than its data")
    return tag, data[offset : offset + length], offset + length
