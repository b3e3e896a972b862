"""The 網路市民 of tests/simulators/netizen/provider.py, one per test, and sessions that name its CA themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.netizen import NetizenSettings
from tests.simulators.netizen.provider import CALLBACK, CLIENT_ID, CLIENT_SECRET, Provider, running


@pytest.fixture(autouse=True)
def _sessions_name_their_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session's `verify` loses to these variables (psf/requests#4650): the sessions here name the CA themselves."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def netizen(tmp_path: Path) -> Iterator[Provider]:
    with running(NetizenSettings(CLIENT_ID, CLIENT_SECRET, redirect_uris=(CALLBACK,)), tmp_path) as provider:
        yield provider
