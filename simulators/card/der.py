"""Just enough DER for the MOICA Subject Directory Attributes extension, which `cryptography` has no class for.

SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute               (RFC 5280 §4.2.1.8)
Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF AttributeValue }
MOICA puts the last four 身分證字號 digits there under 2.16.886.1.100.2.51
(docs/protocols/moica-card.md#cardholder-certificate); we encode the value as
a PrintableString (our choice: the real string type is not documented).
"""

from __future__ import annotations

SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"
LAST4_ID = "2.16.886.1.100.2.51"
_SEQUENCE, _SET, _OID, _PRINTABLE, _UTF8 = 0x30, 0x31, 0x06, 0x13, 0x0C


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, value: bytes) -> bytes:
    """One DER element."""
    return bytes([tag]) + _length(len(value)) + value


def encode_oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER's DER value bytes."""
    first, second, *rest = (int(part) for part in dotted.split("."))
    out = bytearray([first * 40 + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def decode_oid(value: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's value bytes."""
    arcs, current = [], 0
    for byte in value:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, [first, arcs[0] - first * 40, *arcs[1:]]))


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, offset after the element) of the element at `offset`; ValueError when truncated."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    else:
        length = first
    if offset + length > len(data):
        raise ValueError("DER element longer than its data")
    return tag, data[offset : offset + length], offset + length


def subject_directory_attributes(attributes: dict[str, str]) -> bytes:
    """The extension's DER value: each attribute with one PrintableString value."""
    encoded = b"".join(
        tlv(_SEQUENCE, tlv(_OID, encode_oid(oid)) + tlv(_SET, tlv(_PRINTABLE, value.encode("ascii"))))
        for oid, value in attributes.items()
    )
    return tlv(_SEQUENCE, encoded)


def read_subject_directory_attributes(value: bytes) -> dict[str, str]:
    """oid → first value of each attribute in the extension's DER value (Printable, UTF8 or IA5 strings)."""
    tag, body, _ = read_tlv(value)
    if tag != _SEQUENCE:
        raise ValueError("SubjectDirectoryAttributes is not a SEQUENCE")
    found, offset = {}, 0
    while offset < len(body):
        _, attribute, offset = read_tlv(body, offset)
        _, oid, rest = read_tlv(attribute)
        _, values, _ = read_tlv(attribute, rest)
        _, first, _ = read_tlv(values)
        found[decode_oid(oid)] = first.decode("utf-8")
    return found
