"""What is personalised onto one card: the card OS (card_os.py) and its PIV application (piv.py) both read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True, slots=True)
class CardContent:
    """What is personalised onto one card."""

    card_number: str
    pin: str
    puk: str
    sign_key: rsa.RSAPrivateKey = field(repr=False)
    sign_cert_der: bytes = field(repr=False)
    enc_key: rsa.RSAPrivateKey = field(repr=False)
    enc_cert_der: bytes = field(repr=False)
    ca_cert_der: bytes = field(default=b"", repr=False)  # the issuing CA's certificate; b"": the card holds none
