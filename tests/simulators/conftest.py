"""Each simulator served for real on a loopback port, one per test; a test PKI shared by the tests of one module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators import captcha, netizen, sms
from simulators.card.pki import KeyPool, TestPki
from simulators.serving import serve_asgi


@pytest.fixture
def sms_url() -> Iterator[str]:
    """A gateway whose msgids start at 1, so replies can be compared whole (a stack's start from the clock)."""
    with serve_asgi(sms.create_app(sms.SmsSettings(callback_interval=0.01, msgid_start=1)), name="sms") as url:
        yield url


@pytest.fixture
def captcha_url() -> Iterator[str]:
    with serve_asgi(captcha.create_app(), name="captcha") as url:
        yield url


@pytest.fixture
def netizen_url() -> Iterator[str]:
    with serve_asgi(netizen.create_app(), name="netizen") as url:
        yield url


@pytest.fixture(scope="module")
def pki() -> Iterator[TestPki]:
    """A test MOICA PKI whose OCSP and CRL addresses answer nothing (port 9), for the card and agent tests."""
    pool = KeyPool()
    try:
        yield TestPki(pool, ocsp_url="http://127.0.0.1:9/ocsp", crl_url="http://127.0.0.1:9/crl")
    finally:
        pool.close()
