"""The agent simulator: lifecycle, installer and faults (tests/harness/test_certify.py certifies the protocol)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from domain.card import card_holder
from harness.citizens import make_citizen
from simulators.agent import (
    AgentClient,
    AgentFault,
    AgentSettings,
    Desktop,
    DirectTransport,
    SecurityAgent,
    TrayState,
    create_desktop_app,
)
from simulators.agent.desktop import SCREENS
from simulators.card import CardClient, CardSlot, TestPki
from simulators.client import wait_until
from simulators.serving import serve_asgi


@pytest.fixture
def machine(pki: TestPki) -> Iterator[tuple[Desktop, AgentClient, CardClient]]:
    slot = CardSlot(None, pki)
    card = CardClient(slot)
    # Loading and Going last long enough (2 s) that a busy machine still reads the tray before they end: the tests
    # check each right after the request that began it (0.2 s and 0.5 s were outlasted by one slow round trip).
    agent = SecurityAgent(AgentSettings(going_seconds=2.0), DirectTransport(slot), trusted={"127.0.0.1"})
    desktop = Desktop(agent, loading_seconds=2.0, card=card)
    try:
        with serve_asgi(create_desktop_app(desktop), name="desktop") as url, AgentClient(url) as client:
            yield desktop, client, card
    finally:
        desktop.close()
        slot.close()


def _sign(desktop: Desktop, pin: str, origin: str | None = None) -> dict[str, Any]:
    package = {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": "x", "pin": pin}
    headers = {"Origin": origin} if origin else {}
    reply = requests.post(
        desktop.agent_url + "/sign", data={"tbsPackage": json.dumps(package)}, headers=headers, timeout=10
    )
    body: dict[str, Any] = reply.json()
    return body


def _closed(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return True
    return False


def test_installer_screens_in_order_then_loading_then_ready(machine: tuple[Desktop, AgentClient, CardClient]) -> None:
    desktop, client, _ = machine
    client.uninstall()
    assert client.tray() == TrayState.NOT_INSTALLED
    assert _closed(desktop.agent_url)
    base = client.base_url
    titles = []
    for step, screen in enumerate(SCREENS):
        page = requests.get(base + "/installer", timeout=5).text
        titles.append(screen.title)
        assert f"<h1>{screen.title}</h1>" in page
        if screen.needs_acceptance:
            refused = requests.post(f"{base}/installer/{step}", data={"button": screen.button}, timeout=5)
            assert "我接受" in refused.text
        requests.post(f"{base}/installer/{step}", data={"button": screen.button, "accepted": "yes"}, timeout=5)
    assert titles[:3] == ["開啟檔案 - 安全性警告", "安全性警告", "使用者帳戶控制"]
    assert client.tray() == TrayState.LOADING
    wait_until(lambda: client.tray() == TrayState.READY or None, timeout=30, what="the agent never became Ready")
    assert requests.get(desktop.agent_url, timeout=5).ok


def test_wrong_button_and_cancel(machine: tuple[Desktop, AgentClient, CardClient]) -> None:
    _, client, _ = machine
    client.uninstall()
    requests.get(client.base_url + "/installer", timeout=5)
    wrong = requests.post(client.base_url + "/installer/0", data={"button": "下一步"}, timeout=5)
    assert "請按「執行」繼續" in wrong.text
    requests.post(client.base_url + "/installer/0", data={"button": "取消"}, timeout=5)
    assert client.tray() == TrayState.NOT_INSTALLED


def test_going_while_a_page_uses_it_then_ready(machine: tuple[Desktop, AgentClient, CardClient]) -> None:
    desktop, client, card = machine
    citizen = make_citizen(11)
    card.insert(card_holder(citizen))
    assert _sign(desktop, citizen.pin)["ret_code"] == 0  # a native call does not make it Going
    assert client.tray() == TrayState.READY
    assert _sign(desktop, citizen.pin, origin="http://127.0.0.1:9999")["ret_code"] == 0
    assert client.tray() == TrayState.GOING
    wait_until(lambda: client.tray() == TrayState.READY or None, timeout=30, what="Going never fell back to Ready")


def test_faults_in_hipki_codes(machine: tuple[Desktop, AgentClient, CardClient]) -> None:
    desktop, client, card = machine
    citizen = make_citizen(12)
    card.insert(card_holder(citizen))
    client.arm(AgentFault.USER_CANCELLED)
    assert _sign(desktop, citizen.pin)["ret_code"] == 0x76000999
    client.arm(AgentFault.TIMEOUT)
    assert _sign(desktop, citizen.pin)["ret_code"] == 0x7600000D
    client.arm(AgentFault.NO_READER)
    assert _sign(desktop, citizen.pin)["ret_code"] == 0x76100003
    client.arm(AgentFault.PLAIN_PIN_INCORRECT)
    assert _sign(desktop, citizen.pin)["last_error"] == 0xA0
    client.arm(AgentFault.SLOW, seconds=3)
    with pytest.raises(requests.ReadTimeout):
        requests.post(desktop.agent_url + "/pkcs11info", timeout=0.5)
    client.reset()


def test_crash_mid_sign_drops_the_connection_and_stops_the_agent(
    machine: tuple[Desktop, AgentClient, CardClient],
) -> None:
    desktop, client, card = machine
    citizen = make_citizen(13)
    card.insert(card_holder(citizen))
    client.arm(AgentFault.CRASH)
    with pytest.raises(requests.ConnectionError, match="without response"):  # no status line, no HiPKI body
        _sign(desktop, citizen.pin)
    assert client.tray() == TrayState.STOPPED
    assert _closed(desktop.agent_url)
    client.restart()
    assert client.tray() == TrayState.LOADING
    wait_until(lambda: client.tray() == TrayState.READY or None, timeout=30, what="the restarted agent never got Ready")
    assert _sign(desktop, citizen.pin)["ret_code"] == 0


def test_request_log_masks_the_pin(machine: tuple[Desktop, AgentClient, CardClient]) -> None:
    desktop, client, card = machine
    citizen = make_citizen(14)
    card.insert(card_holder(citizen))
    _sign(desktop, citizen.pin)
    (logged,) = client.requests()
    assert (logged.path, logged.package["pin"]) == ("/sign", "*" * len(citizen.pin))
    assert citizen.pin not in json.dumps(client.state(), ensure_ascii=False)


def test_distrust_and_card_controls(machine: tuple[Desktop, AgentClient, CardClient]) -> None:
    desktop, client, _ = machine
    client.insert_card(name="測試", id_number="A123456789", card_number="TEST000000000009", pin="654321")
    assert client.card()["holder"]["card_number"] == "TEST000000000009"
    client.distrust("127.0.0.1")
    assert _sign(desktop, "654321", origin="http://127.0.0.1:1")["ret_code"] == 0x76000031
    client.remove_card()
    assert client.card()["inserted"] is False


def test_cors_and_pna_only_when_enabled_and_only_for_trusted_origins(pki: TestPki) -> None:
    slot = CardSlot(None, pki)
    agent = SecurityAgent(AgentSettings(cors=True), DirectTransport(slot), trusted={"portal.example.test"})
    desktop = Desktop(agent, loading_seconds=0)
    try:
        ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Private-Network": "true"}
        granted = requests.options(
            desktop.agent_url + "/sign", timeout=5, headers={**ask, "Origin": "https://portal.example.test"}
        )
        assert granted.headers["Access-Control-Allow-Origin"] == "https://portal.example.test"
        assert granted.headers["Access-Control-Allow-Private-Network"] == "true"
        refused = requests.options(
            desktop.agent_url + "/sign", timeout=5, headers={**ask, "Origin": "https://elsewhere.example.test"}
        )
        assert "Access-Control-Allow-Origin" not in refused.headers
    finally:
        desktop.close()
        slot.close()
