"""A personalised card on the test PKI (tests/simulators/conftest.py), shared by the card tests of one module."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from simulators.card.card_os import MoicaCardOS
from simulators.card.content import CardContent
from simulators.card.pki import CitizenCertificates, TestPki
from tests.simulators.card.holder import CARD_NUMBER, ID_NUMBER, PIN, PUK


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
