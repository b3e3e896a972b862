"""Who the agent serves (issue #14): its own Host only, `Origin: null` as an untrusted site, a confirmation page no
other site can frame; checked over HTTP against the agent process, with requests as the client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from domain.card import CardHolder
from simulators.agent import AgentSettings, Desktop, DirectTransport, SecurityAgent, create_desktop_app
from simulators.card import CardClient, CardSlot, TestPki
from simulators.control import CONTROL_HEADER
from simulators.serving import serve_asgi

CONTROL = {CONTROL_HEADER: "1"}  # what every tool of a control surface sends (simulators.control)

HOLDER = CardHolder("陳志明", "A123456789", "TPCD000000000031", "135790", "13572468", seed=41)


@pytest.fixture
def desktop(pki: TestPki) -> Iterator[Desktop]:
    slot = CardSlot(None, pki)
    card = CardClient(slot)
    card.insert(HOLDER)
    agent = SecurityAgent(AgentSettings(public_port=61161), DirectTransport(slot), trusted={"127.0.0.1"})
    computer = Desktop(agent, card=card)
    try:
        yield computer
    finally:
        computer.close()
        slot.close()


def _sign(desktop: Desktop, **headers: str) -> requests.Response:
    package = {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": "x", "pin": HOLDER.pin}
    return requests.post(
        desktop.agent_url + "/sign", data={"tbsPackage": json.dumps(package)}, headers=headers, timeout=10
    )


def _body(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{bound}", "localhost:{bound}", "LOCALHOST:{bound}", "127.0.0.1:61161", "localhost:61161"],
)
def test_its_own_loopback_names_on_its_bound_or_public_port_are_served(desktop: Desktop, host: str) -> None:
    answer = _sign(desktop, Host=host.format(bound=desktop.port))
    assert answer.status_code == 200
    assert _body(answer)["ret_code"] == 0


@pytest.mark.parametrize(
    "host",
    ["evil.example.test:{bound}", "127.0.0.1", "127.0.0.1:1", "localhost.evil.example.test:{bound}", "[::1]:{bound}"],
)
def test_any_other_host_is_refused_before_anything_else(desktop: Desktop, host: str) -> None:
    rebound = host.format(bound=desktop.port)
    origin = f"http://{rebound}"
    for path in ("/", "/popupForm", "/addDomain?domain=evil.example.test", "/pkcs11info?withcert=true"):
        refused = requests.get(desktop.agent_url + path, headers={"Host": rebound, "Origin": origin}, timeout=10)
        assert refused.status_code == 403, path
    assert _sign(desktop, Host=rebound, Origin=origin).status_code == 403
    added = requests.post(
        desktop.agent_url + "/addDomain",
        data={"domain": "evil.example.test", "decision": "yes"},
        headers={"Host": rebound, "Origin": origin},
        timeout=10,
    )
    assert added.status_code == 403
    assert desktop.agent.trusted_sites() == ["127.0.0.1"]
    assert desktop.agent.requests() == []


def test_null_origin_is_an_untrusted_site(desktop: Desktop) -> None:
    tries = desktop.card.state()["pin_tries"] if desktop.card else None
    answer = _body(_sign(desktop, Origin="null"))
    assert answer["ret_code"] == 0x76000031
    assert "signature" not in answer
    assert "null非信任網站" in answer["message"]
    popup_relay = requests.post(
        desktop.agent_url + "/sign",
        data={"tbsPackage": json.dumps({"func": "MakeSignature", "tbs": "x", "pin": "000000"}), "origin": "null"},
        headers={"Origin": desktop.agent_url},  # /popupForm relaying for a sandboxed opener
        timeout=10,
    )
    assert _body(popup_relay)["ret_code"] == 0x76000031
    assert desktop.card is not None
    assert desktop.card.state()["pin_tries"] == tries, "a refused site spent a PIN try"


def test_the_confirmation_page_refuses_every_frame(desktop: Desktop) -> None:
    page = requests.get(desktop.agent_url + "/addDomain?domain=portal.example.test", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_agents_own_page_and_native_clients_are_still_served(desktop: Desktop) -> None:
    assert _body(_sign(desktop))["ret_code"] == 0  # no Origin: a native client
    added = requests.post(
        desktop.agent_url + "/addDomain",
        data={"domain": "portal.example.test", "decision": "yes"},
        headers={"Origin": desktop.agent_url},  # the confirmation page's own fetch
        timeout=10,
    )
    assert _body(added)["ret_code"] == 0
    assert "portal.example.test" in desktop.agent.trusted_sites()


def test_calling_site_rules() -> None:
    agent = SecurityAgent(AgentSettings(), DirectTransport(object()))
    own = "http://127.0.0.1:61161"
    assert agent.calling_site(None, "", own_origin=own) is None  # a native client
    assert agent.calling_site(own, "https://portal.example.test", own_origin=own) == "https://portal.example.test"
    assert agent.calling_site("null", "", own_origin=own) == "null"
    assert agent.calling_site("https://evil.example.test", "https://portal.example.test", own_origin=own) == (
        "https://evil.example.test"
    )
    assert agent.admits_host("127.0.0.1:5000", bound_port=5000)
    assert not agent.admits_host("127.0.0.1:61161", bound_port=5000)  # no public port set: the bound one only


def test_the_desktop_unplugs_a_direct_reader(desktop: Desktop) -> None:
    with serve_asgi(create_desktop_app(desktop), name="desktop") as url:
        unplugged = requests.post(url + "/_control/card/reader", json={"plugged": False}, headers=CONTROL, timeout=10)
        assert unplugged.json()["plugged"] is False
        listed = _body(requests.get(desktop.agent_url + "/pkcs11info", timeout=10))
        assert listed["slots"] == []
        assert _body(_sign(desktop))["ret_code"] == 0x76100003
        requests.post(url + "/_control/card/reader", json={"plugged": True}, headers=CONTROL, timeout=10)
        assert _body(_sign(desktop))["ret_code"] == 0
