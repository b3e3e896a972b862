"""CMS SignedData for `signatureType: PKCS7` (docs/protocols/hipki-agent.md#requests), signed by the card, not by a key
in memory.

asn1crypto builds the structure because `cryptography`'s PKCS7 builder needs the private key, which never leaves the
card. Signed attributes: contentType, messageDigest, signingTime, and when asked the nonce (1.2.840.113549.1.9.25.3)
and the card number (2.16.886.1.100.2.204), as integrators saw the real agent add them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509

NONCE = "1.2.840.113549.1.9.25.3"
CARD_SERIAL = "2.16.886.1.100.2.204"


def signed_data(
    content: bytes,
    cert_der: bytes,
    sign: Callable[[bytes], bytes],
    *,
    nonce: bytes | None = None,
    card_number: str | None = None,
) -> bytes:
    """DER ContentInfo(SignedData); `sign(data)` must return RSA PKCS#1 v1.5 over SHA-256(data)."""
    cert = asn1_x509.Certificate.load(cert_der)
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": datetime.now(UTC)})]}),
    ]
    if nonce:
        attributes.append(cms.CMSAttribute({"type": NONCE, "values": [core.OctetString(nonce)]}))
    if card_number:
        attributes.append(cms.CMSAttribute({"type": CARD_SERIAL, "values": [core.PrintableString(card_number)]}))
    signed_attributes = cms.CMSAttributes(attributes)
    signature = sign(signed_attributes.dump())  # RFC 5652 §5.4: over the DER of the SET OF, not the [0] tag
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
            "signature": signature,
        }
    )
    data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "data", "content": content},
            "certificates": [cert],
            "signer_infos": [signer],
        }
    )
    dumped: bytes = cms.ContentInfo({"content_type": "signed_data", "content": data}).dump()
    return dumped
