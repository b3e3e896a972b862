"""A control surface on loopback answers its own tools, not a web page the tester has open (docs/shared-stack.md):
Chromium itself is the oracle of what a cross-site page can send; DNS rebinding (the page's own name as Host) and a
foreign Origin are refused too, on the simulators, the test CA and the agent desktop alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser

from domain.card import CardHolder
from simulators.agent import AgentSettings, Desktop, DirectTransport, SecurityAgent, create_desktop_app
from simulators.card import CardClient, CardSlot, TestPki
from simulators.control import CONTROL_HEADER
from simulators.serving import serve_asgi
from simulators.sms import SmsClient, SmsFault, create_app

HOLDER = CardHolder("陳志明", "A123456789", "TPCD000000000031", "135790", "13572468", seed=41)

MOBILE = "0912345678"


@pytest.fixture
def sms_url() -> Iterator[str]:
    with serve_asgi(create_app(), name="sms") as url:
        yield url


def _attacker(target: str) -> FastAPI:
    """A page on another origin that tries every way a page has to reach the control surface at `target`."""
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return f"""<!doctype html><form id=f method=post action="{target}/_control/reset"></form>
        <script>
        window.tried = Promise.allSettled([
          fetch("{target}/_control/reset", {{method: "POST", mode: "no-cors"}}),
          fetch("{target}/_control/reset", {{method: "POST", headers: {{"{CONTROL_HEADER}": "1"}}}}),
        ]).then(() => document.getElementById("f").submit());
        </script>"""

    return app


def test_a_cross_site_page_in_chromium_cannot_reset_or_disarm(sms_url: str, browser: Browser) -> None:
    with SmsClient(sms_url) as client:
        client.arm(SmsFault.NEVER_DELIVER, match=MOBILE, times=None)
        with serve_asgi(_attacker(sms_url), name="attacker") as page_url:
            context = browser.new_context()
            try:
                page = context.new_page()
                with page.expect_response(lambda r: r.url.endswith("/_control/reset") and r.request.method == "POST"):
                    page.goto(page_url.replace("127.0.0.1", "localhost") + "/")  # another site than the simulator
                page.wait_for_load_state()
            finally:
                context.close()
        assert [f["fault"] for f in client.faults()] == [SmsFault.NEVER_DELIVER]  # still armed: nothing got through


def test_rebinding_and_foreign_origins_are_refused_and_the_tools_header_is_needed(sms_url: str) -> None:
    port = sms_url.rsplit(":", 1)[1]
    own = {CONTROL_HEADER: "1"}
    rebound = requests.get(f"{sms_url}/_control/state", headers={"Host": f"attacker.example:{port}"}, timeout=5)
    assert rebound.status_code == 403
    assert "Host" in rebound.json()["detail"]
    foreign = requests.post(
        f"{sms_url}/_control/reset", headers={**own, "Origin": "http://attacker.example"}, timeout=5
    )
    assert foreign.status_code == 403
    bare = requests.post(f"{sms_url}/_control/reset", timeout=5)
    assert bare.status_code == 403
    assert CONTROL_HEADER in bare.json()["detail"]
    assert requests.post(f"{sms_url}/_control/reset", headers=own, timeout=5).status_code == 200
    same = requests.post(f"{sms_url}/_control/reset", headers={**own, "Origin": sms_url}, timeout=5)
    assert same.status_code == 200
    assert requests.post(f"{sms_url}/api/mtk/SmSend", timeout=5).status_code == 200  # the protocol stays open


def test_the_agent_desktop_answers_only_its_own_loopback_address(pki: TestPki) -> None:
    """Its installer, tray and card controls are checked as the agent checks its Host: a DNS-rebinding page names its
    own site, and can neither read the tray nor block the PIN."""
    slot = CardSlot(None, pki)
    card = CardClient(slot)
    agent = SecurityAgent(AgentSettings(), DirectTransport(slot), trusted={"127.0.0.1"})
    desktop = Desktop(agent, card=card)
    try:
        with serve_asgi(create_desktop_app(desktop), name="desktop") as url:
            port = url.rsplit(":", 1)[1]
            for path in ("/tray", "/installer", "/_control/card"):
                assert requests.get(url + path, timeout=10).status_code == 200, path
                rebound = requests.get(url + path, headers={"Host": f"attacker.example:{port}"}, timeout=10)
                assert rebound.status_code == 403, path
            tries = {"tries": "0"}
            blocked = requests.post(url + "/_control/card/tries", data=tries, headers={"Host": f"localhost:{port}"})
            assert blocked.status_code == 403  # no tools' header: a cross-site form cannot block the PIN
            card.insert(HOLDER)
            own = {CONTROL_HEADER: "1"}
            assert requests.post(url + "/_control/card/tries", data={"tries": "2"}, headers=own, timeout=10).ok
    finally:
        desktop.close()
        slot.close()
