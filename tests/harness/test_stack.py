"""The stack: services on loopback port 0, ready when returned, gone after stop, nothing left on failure."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest
import requests
import uvicorn

from domain.card import CardHolder
from harness.settings import SettingsError, load_settings
from harness.simulator_table import CONTROLLED
from harness.stack import Stack
from harness.twin import TwinClient
from simulators.client import SimulatorClient
from simulators.registry import Holding, RegistryClient, RegistryFault
from simulators.serving import ServiceStartError, serve_asgi
from simulators.sms import SmsClient, SmsFault
from tests.net import port_closed


def _serving_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("serve-")}


def test_portal_is_ready_on_loopback_and_gone_after_stop(tmp_path: Path) -> None:
    before = _serving_threads()
    with Stack(load_settings(root=tmp_path, environ={})) as stack:
        url = stack.urls["portal"]
        assert url.startswith("http://127.0.0.1:")
        assert not url.endswith(":0")
        assert requests.get(url + "/healthz", timeout=5).json() == {"status": "ok"}
        workdir = stack.workdir
        assert workdir is not None
        assert (workdir / "portal.sqlite3").exists()
    assert port_closed(url)
    assert not workdir.exists()
    assert _serving_threads() == before


def test_two_stacks_run_side_by_side(tmp_path: Path) -> None:
    settings = load_settings(root=tmp_path, environ={})
    with Stack(settings) as one, Stack(settings) as two:
        assert one.urls["portal"] != two.urls["portal"]


def test_reset_and_state_reach_every_simulator_in_the_registry(tmp_path: Path) -> None:
    with Stack(load_settings(root=tmp_path, environ={})) as stack:
        with SmsClient(stack.urls["sms"]) as sms, RegistryClient(stack.urls["registry"]) as registry:
            sms.arm(SmsFault.NO_POINTS, times=None)
            registry.arm(RegistryFault.UNAVAILABLE, times=None)
            registry.set_holdings("A123456789", [Holding("敬老卡")])
            assert stack.simulator_state()["registry"]["people"] == 1
            stack.reset()
            assert registry.services("A123456789") == ()
        state = stack.simulator_state()
        assert set(state) == {c.name for c in CONTROLLED} | {"card"}
        assert all(state[c.name]["faults"] == [] for c in CONTROLLED)


def test_reset_is_in_process_for_what_the_stack_serves_and_asks_nothing_of_shared_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Stack(load_settings(root=tmp_path, environ={})) as stack, SmsClient(stack.urls["sms"]) as sms:
        sms.arm(SmsFault.NO_POINTS, times=None)
        with TwinClient(stack.urls["portal"]) as twin:
            twin.advance(600)
        reset_over_http: list[str] = []
        monkeypatch.setattr(SimulatorClient, "reset", lambda client: reset_over_http.append(client.base_url))
        monkeypatch.setattr(TwinClient, "reset", lambda client: reset_over_http.append(client.base_url))
        stack.reset()
        assert reset_over_http == []  # no request per simulator: each one's own control reset, called here
        assert sms.faults() == []
        assert stack.simulator_state()["sms"]["faults"] == []
        tools = {"X-Tpcd-Control": "1"}  # simulators.control.CONTROL_HEADER, as TwinClient sends it
        back = requests.post(
            stack.urls["portal"] + "/_twin/clock/advance", data={"seconds": 0}, headers=tools, timeout=5
        )
        assert back.json() == {"offset": 0.0}  # the twin is back on real time


def test_the_agent_waits_for_a_card_still_going_into_the_reader(tmp_path: Path) -> None:
    holder = CardHolder("林美玲", "F223456784", "TPCD000011112222", "13579246", "86420864", seed=31)
    with Stack(load_settings(root=tmp_path, environ={})) as stack:
        assert stack.card is not None
        assert stack.desktop is not None
        stack.card.insert(holder, wait=False)  # pcscd has not seen it yet when the agent is asked
        (slot,) = stack.desktop.agent.pkcs11info(reader=stack.card.reader)["slots"]
        assert slot["token"]["serialNumber"] == holder.card_number


def test_deployed_target_starts_no_twin(tmp_path: Path) -> None:
    settings = load_settings(root=tmp_path, environ={"TPCD_BASE_URL": "https://portal.example.test"})
    with Stack(settings) as stack:
        assert "portal" not in stack.urls
        assert stack.portal_url == "https://portal.example.test"


def test_a_service_that_cannot_bind_fails_clearly_and_leaves_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings({"portal_port": port}, root=tmp_path, environ={})
        before = _serving_threads()
        with pytest.raises(SettingsError, match=rf"portal: 127.0.0.1:{port} is already in use: stop what holds it"):
            Stack(settings).start()
        assert _serving_threads() == before


def test_serve_asgi_times_out_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    async def slow_startup(self: uvicorn.Server, sockets: object = None) -> None:
        await asyncio.sleep(0.5)  # never sets `started`: the readiness signal does not come in time

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    monkeypatch.setattr(uvicorn.Server, "startup", slow_startup)
    with pytest.raises(ServiceStartError, match=r"did not start within 0.2s"), serve_asgi(app, name="x", timeout=0.2):
        pass


def test_pinned_ports_are_used_and_unknown_services_named(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with Stack(load_settings({"ports": [f"registry={free}"]}, root=tmp_path, environ={})) as stack:
        assert stack.urls["registry"] == f"http://127.0.0.1:{free}"
        assert stack.token is None  # on loopback nothing asks for a token
    with pytest.raises(SettingsError, match=r"ports: no service named regsitry; known: sms, mail_api"):
        Stack(load_settings({"ports": ["regsitry=8001"]}, root=tmp_path, environ={})).start()
