"""Each simulator served for real on a loopback port, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators import captcha, netizen, sms
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
