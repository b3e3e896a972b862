"""What every simulator shares on a stack several runs use: faults disarmed by the ids their client got back, clients
that refuse to hit every run, and the token gate in front of everything but each protocol surface."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from harness.simulator_table import OCSP, SIMULATORS, Controlled
from simulators.card import KeyPool, TestPki, revocation
from simulators.client import SimulatorError
from simulators.control import BearerGate
from simulators.registry import RegistryClient, RegistryFault, create_app
from simulators.serving import serve_asgi

TOKEN = "s3cret-token"


@pytest.fixture
def registry_url() -> Iterator[str]:
    with serve_asgi(create_app(), name="registry") as url:
        yield url


def _lookup(url: str, id_number: str) -> int:
    return requests.get(f"{url}/api/v1/services", params={"id_number": id_number}, timeout=5).status_code


def test_a_client_disarms_what_it_armed_and_nothing_else(registry_url: str) -> None:
    with RegistryClient(registry_url, target="A123456789") as mine, RegistryClient(registry_url) as theirs:
        mine.arm(RegistryFault.UNAVAILABLE, times=None)  # for its target: this scenario's citizen
        theirs.arm(RegistryFault.UNAVAILABLE, match="B223456789", times=None)
        assert (_lookup(registry_url, "A123456789"), _lookup(registry_url, "B223456789")) == (503, 503)
        assert _lookup(registry_url, "C123456789") == 200
        mine.disarm_armed()
        assert (_lookup(registry_url, "A123456789"), _lookup(registry_url, "B223456789")) == (200, 503)
        assert [fault["match"] for fault in theirs.faults()] == ["B223456789"]


def test_a_shared_client_never_arms_for_everyone_nor_resets(registry_url: str) -> None:
    with RegistryClient(registry_url, shared=True) as client:
        with pytest.raises(SimulatorError, match="would hit every run"):
            client.arm(RegistryFault.UNAVAILABLE)
        with pytest.raises(SimulatorError, match="never reset as a whole"):
            client.reset()
        client.arm(RegistryFault.UNAVAILABLE, match="A123456789")
        assert _lookup(registry_url, "C123456789") == 200


def _app(controlled: Controlled) -> Any:
    if controlled is OCSP:
        pool = KeyPool(ready=2)
        app = revocation.create_app(TestPki(pool))
        pool.close()
        return app
    spec = next(spec for spec in SIMULATORS if spec is controlled)
    return spec.create_app(spec.settings)


@pytest.mark.parametrize("controlled", [*SIMULATORS, OCSP], ids=lambda c: c.name)
def test_beyond_loopback_only_the_protocol_surface_is_open(controlled: Controlled) -> None:
    gated = BearerGate(_app(controlled), token=TOKEN, public=controlled.public)
    with serve_asgi(gated, name=controlled.name) as url:
        for path in ("/_control/state", "/_control/faults", "/", "/api/v1/messages"):
            refused = requests.get(url + path, timeout=5)
            assert refused.status_code == 401, path
            assert refused.headers["WWW-Authenticate"].startswith('Bearer realm="tpcd"'), path
        assert requests.post(url + "/_control/reset", timeout=5).status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.get(url + "/_control/state", headers=bearer, timeout=5).status_code == 200
        basic = {"Authorization": "Basic " + base64.b64encode(f"anyone:{TOKEN}".encode()).decode()}
        assert requests.get(url + "/_control/state", headers=basic, timeout=5).status_code == 200
        assert requests.get(url + "/healthz", timeout=5).status_code == 200
        for path in controlled.public:  # whatever the protocol answers a bare request, it is not a 401
            probe = url + (path + "api.js" if path.endswith("/") else path)
            assert requests.post(probe, timeout=5).status_code != 401, path


def test_a_gate_without_a_token_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="needs a token"):
        BearerGate(create_app(), token="", public=())
