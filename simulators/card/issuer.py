"""The test MOICA CA issuing cards over HTTP: a long-lived stack owns the test PKI that a deployment trusts, and each
run's local card gets its certificates from it, so the card chains to that CA and its OCSP/CRL service knows it.

`POST /_control/cards` (a control: behind the stack's token beyond loopback) takes the holder's name, ID number,
seed and an optional validity window, and answers both key pairs and certificates as PEM, with the CA chain.
`RemoteIssuer` is the same issuer seen from the card's side; `TestPki` is the in-process one. The keys are test keys
of a test CA (every name carries the test marker, pki.TEST_MARKER): they protect nothing real.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from simulators.card.pki import CitizenCertificates, TestPki
from simulators.client import ServiceClient

PEM = serialization.Encoding.PEM


class CardIssuer(Protocol):
    """What a card slot needs of a CA: issue a citizen's certificates, revoke one, and undo its revocations."""

    def issue(
        self,
        name: str,
        id_number: str,
        *,
        seed: int,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> CitizenCertificates:
        """Both certificates of one card."""

    def revoke(self, serial: int, reason: x509.ReasonFlags = ...) -> None:
        """Mark a certificate revoked."""

    def reset(self) -> None:
        """Undo the revocations this issuer may undo."""

    @property
    def ca_cert(self) -> x509.Certificate:
        """The CA certificate that signs the citizens' certificates (the card carries it too)."""

    def chain_pem(self) -> bytes:
        """The CA and its root, PEM: what a relying party must trust."""


class CardRequest(BaseModel):
    """Body of `POST /_control/cards`: whom the card is for, and (for expiry scenarios) its validity."""

    name: str
    id_number: str
    seed: int
    not_before: datetime | None = None
    not_after: datetime | None = None


def _key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")


def issuer_router(pki: TestPki) -> APIRouter:
    """`POST /_control/cards` over `pki`; the revocation app mounts it beside OCSP and the CRL."""
    router = APIRouter()

    @router.post("/_control/cards")
    def issue(request: CardRequest) -> dict[str, Any]:
        if request.not_before and request.not_after and request.not_after <= request.not_before:
            raise HTTPException(status_code=422, detail="not_after must come after not_before")
        issued = pki.issue(
            request.name,
            request.id_number,
            seed=request.seed,
            not_before=request.not_before,
            not_after=request.not_after,
        )
        return {
            "serial_number": issued.serial_number,
            "sign_key": _key_pem(issued.sign_key),
            "sign_cert": issued.sign_cert.public_bytes(PEM).decode("ascii"),
            "enc_key": _key_pem(issued.enc_key),
            "enc_cert": issued.enc_cert.public_bytes(PEM).decode("ascii"),
            "chain": pki.chain_pem().decode("ascii"),
        }

    return router


def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the issuer answered a key that is not RSA")
    return key


class RemoteIssuer(ServiceClient):
    """The stack's test CA over HTTP (its OCSP/CRL service's URL), for a card on another machine than the stack.

    `reset` takes back only the revocations this issuer made: other runs' cards on the same CA are not touched.
    """

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        super().__init__(base_url, timeout=timeout, token=token)  # a card's two keys may wait for the key pool
        self._revoked: set[int] = set()
        self._chain: bytes | None = None

    def chain_pem(self) -> bytes:
        """The stack's CA and its root, PEM (its public `/ca.pem`), fetched once."""
        if self._chain is None:
            response = self.http.get(self.base_url + "/ca.pem", timeout=self.timeout)
            response.raise_for_status()
            self._chain = response.content
        return self._chain

    @property
    def ca_cert(self) -> x509.Certificate:
        """The stack's CA certificate: the first of its chain."""
        return x509.load_pem_x509_certificates(self.chain_pem())[0]

    def issue(
        self,
        name: str,
        id_number: str,
        *,
        seed: int,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> CitizenCertificates:
        """Both certificates of one card, issued by the stack's CA."""
        body = {"name": name, "id_number": id_number, "seed": seed}
        body |= {"not_before": not_before.isoformat()} if not_before else {}
        body |= {"not_after": not_after.isoformat()} if not_after else {}
        answer = self._call("POST", "/_control/cards", json=body)
        return CitizenCertificates(
            str(answer["serial_number"]),
            _private_key(answer["sign_key"]),
            x509.load_pem_x509_certificate(answer["sign_cert"].encode("ascii")),
            _private_key(answer["enc_key"]),
            x509.load_pem_x509_certificate(answer["enc_cert"].encode("ascii")),
        )

    def revoke(self, serial: int, reason: x509.ReasonFlags = x509.ReasonFlags.key_compromise) -> None:
        """Revoke a certificate this stack issued (the stack's CA records it as key compromise)."""
        self._call("POST", f"/_control/revoke/{serial:x}")
        self._revoked.add(serial)

    def reset(self) -> None:
        """Back to 正常 for every certificate this issuer revoked."""
        for serial in sorted(self._revoked):
            self._call("POST", f"/_control/unrevoke/{serial:x}")
        self._revoked.clear()
