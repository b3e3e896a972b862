"""A hostile citizen's 安控元件: successful /sign answers that lie to the portal (faults.Lie), the card being fine.

Each lie is what someone holding the citizen's computer could send: bytes the card signed that are not the `tbs`, a
key of their own, another card's certificate and key (another citizen's, an expired, a not-yet-valid or a revoked
one, as issued by the same CA: `issuer`), or a certificate from a CA of their own making that carries MOICA's name
(over an RSA key, or an EC key no MOICA signing certificate has) or another CA's name.
The portal must refuse every one: none of them is this citizen's signature over this nonce with this citizen's
valid, unrevoked MOICA certificate.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from simulators.agent.faults import Lie
from simulators.agent.tokens import last4
from simulators.card.issuer import CardIssuer

Signer = Callable[[bytes], bytes]  # data → RSA PKCS#1 v1.5 over SHA-256(data) (ECDSA for EC_KEY_CERTIFICATE)
OTHER_CA = x509.Name(
    [x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"), x509.NameAttribute(NameOID.COMMON_NAME, "Other CA")]
)
ISSUED = (
    Lie.OTHER_CITIZENS_CERTIFICATE,
    Lie.EXPIRED_CERTIFICATE,
    Lie.NOT_YET_VALID_CERTIFICATE,
    Lie.REVOKED_CERTIFICATE,
)


class NoIssuer(RuntimeError):
    """A lie that needs another card of the CA, on an agent that was given no CA to get one from."""


@dataclass(frozen=True, slots=True)
class Claim:
    """What the agent puts in its answer: the certificate it names, and what signs in its stead."""

    cert: x509.Certificate
    sign: Signer


@functools.cache
def own_key(role: str) -> rsa.RSAPrivateKey:
    """The agent's own key for `role` ("signer", "ca"): made once, so a lie answers as fast as the card does."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def ec_own_key() -> ec.EllipticCurvePrivateKey:
    """The agent's own P-256 key: not a key a MOICA signing certificate carries (they are RSA)."""
    return ec.generate_private_key(ec.SECP256R1())


def warm() -> None:
    """Make the agent's own keys ahead (a daemon thread calls this when the agent starts)."""
    for role in ("signer", "ca"):
        own_key(role)


def key_signer(key: rsa.RSAPrivateKey) -> Signer:
    """Sign with a key held in memory, as the card would with its own."""
    return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def other_last4(cert: x509.Certificate) -> str:
    """Four digits that are not the certificate's own last four ID digits."""
    own = last4(cert) or "0000"
    return f"{(int(own) + 5001) % 10000:04d}"


def claim(lie: Lie, card_cert: x509.Certificate, card_sign: Signer, issuer: CardIssuer | None) -> Claim:
    """The certificate and signer `lie` answers with, in place of the card's own (REPLAYED_ANSWER is the agent's)."""
    if lie is Lie.SIGNATURE_OVER_OTHER_TBS:
        return Claim(card_cert, lambda data: card_sign(data + b"\n"))
    if lie is Lie.SIGNATURE_BY_OTHER_KEY:
        return Claim(card_cert, key_signer(own_key("signer")))
    if lie is Lie.IMPOSTOR_CA_CERTIFICATE:
        key = own_key("signer")
        return Claim(_impostor(card_cert, key.public_key(), card_cert.issuer), key_signer(key))
    if lie is Lie.EC_KEY_CERTIFICATE:
        ec_key = ec_own_key()
        return Claim(
            _impostor(card_cert, ec_key.public_key(), card_cert.issuer),
            lambda data: ec_key.sign(data, ec.ECDSA(hashes.SHA256())),
        )
    if lie is Lie.OTHER_CA_CERTIFICATE:
        key = own_key("signer")
        return Claim(_impostor(card_cert, key.public_key(), OTHER_CA), key_signer(key))
    if lie in ISSUED:
        if issuer is None:
            raise NoIssuer(f"the lie {lie} needs another card of the CA: this agent was given no issuer")
        return _issued(lie, card_cert, issuer)
    raise ValueError(f"not a lie about the signature or the certificate: {lie}")


def _issued(lie: Lie, card_cert: x509.Certificate, issuer: CardIssuer) -> Claim:
    """Another card of the same CA: the same holder's, expired or not yet valid, or revoked; or another citizen's."""
    now = datetime.now(UTC)
    names = card_cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    name, digits = (str(names[0].value) if names else "市民"), last4(card_cert)
    window: tuple[datetime | None, datetime | None] = (None, None)
    if lie is Lie.EXPIRED_CERTIFICATE:
        window = (now - timedelta(days=5 * 365), now - timedelta(days=1))
    elif lie is Lie.NOT_YET_VALID_CERTIFICATE:
        window = (now + timedelta(days=1), now + timedelta(days=5 * 365))
    elif lie is Lie.OTHER_CITIZENS_CERTIFICATE:
        name, digits = "另一位市民", other_last4(card_cert)
    # The issuer puts the last four characters of the ID number it is given in the certificate: they are all it needs.
    issued = issuer.issue(name, digits, seed=secrets.randbits(31), not_before=window[0], not_after=window[1])
    if lie is Lie.REVOKED_CERTIFICATE:
        issuer.revoke(issued.sign_cert.serial_number)
    return Claim(issued.sign_cert, key_signer(issued.sign_key))


def _impostor(
    card_cert: x509.Certificate, public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey, issuer_name: x509.Name
) -> x509.Certificate:
    """A certificate from a CA of the agent's own making named `issuer_name` (MOICA's very name, or another), that
    copies the card's subject and extensions (the last four ID digits included) over the agent's own `public` key."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = own_key("ca")
    builder = (
        x509.CertificateBuilder()
        .subject_name(card_cert.subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
    )
    for extension in card_cert.extensions:
        if isinstance(extension.value, x509.SubjectKeyIdentifier | x509.AuthorityKeyIdentifier):
            continue
        builder = builder.add_extension(extension.value, extension.critical)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
    )
    return builder.sign(ca_key, hashes.SHA256())
