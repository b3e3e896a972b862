"""A test PKI and a personalised card, shared by the card tests of one module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from simulators.card.card_os import MoicaCardOS
from simulators.card.content import CardContent
from simulators.card.pki import CitizenCertificates, KeyPool, TestPki

PIN, PUK, CARD_NUMBER, ID_NUMBER = "246813", "13572468", "TPCD123456789012", "A123456789"


@pytest.fixture(scope="module")
def pki() -> Iterator[TestPki]:
    pool = KeyPool()
    try:
        yield TestPki(pool, ocsp_url="http://127.0.0.1:9/ocsp", crl_url="http://127.0.0.1:9/crl")
    finally:
        pool.close()


@pytest.fixture(scope="module")
def certificates(pki: TestPki) -> CitizenCertificates:
    return pki.issue("王小明", ID_NUMBER, seed=7)


@pytest.fixture
def card(pki: TestPki, certificates: CitizenCertificates) -> MoicaCardOS:
    der = serialization.Encoding.DER
    return MoicaCardOS(
        CardContent(
            CARD_NUMBER,
            PIN,
            PUK,
            certificates.sign_key,
            certificates.sign_cert.public_bytes(der),
            certificates.enc_key,
            certificates.enc_cert.public_bytes(der),
            pki.ca_cert.public_bytes(der),
        )
    )
