"""`tpcd certify-agent` against the agent simulator on PKCS#11, as a vendor's build reaches its card: through OpenSC's
module and the card's PIV application, never our own APDU client. With the card under control every requirement
runs and passes; a planted flaw in the PKCS#11 backend fails its requirement."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from domain.card import card_holder
from harness.certify import CertifyRequest, outcomes, run_suite
from harness.certify.requirements import REQUIREMENTS
from harness.citizens import make_citizen
from harness.settings import SettingsError, load_settings
from harness.stack import Stack
from simulators.agent import AgentSettings, Desktop, SecurityAgent, create_desktop_app
from simulators.agent.pkcs11 import OPENSC_MODULE, Pkcs11Transport
from simulators.card import CardClient, CardSlot, KeyPool, TestPki, revocation
from simulators.card.pcscd import acquire_host, release_host
from simulators.serving import RunningServer, serve_asgi
from tests.harness import agent_flaws as flaws
from tests.harness.certify_cli import certify, statuses

ROOT = Path(__file__).resolve().parents[2]
OPENSC = str(OPENSC_MODULE)
pytestmark = pytest.mark.pcsc


def test_an_agent_on_opensc_passes_every_requirement(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "simulators.agent", "--port", "0", "--pkcs11", OPENSC]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as agent:
        try:
            assert agent.stdout is not None
            line = agent.stdout.readline()
            assert f"through the PKCS#11 module {OPENSC}" in line, line
            agent_url, control_url = re.findall(r"http://127\.0\.0\.1:\d+", line)[:2]
            code, output, verdict = certify(tmp_path, "--agent-url", agent_url, "--control-url", control_url)
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=30)
    found = statuses(verdict)
    assert code == 0, output[-4000:]
    assert set(found.values()) == {"PASS"}, output[-4000:]  # no FAIL, no ERROR, nothing NOT RUN
    assert len(found) == len(REQUIREMENTS) >= 25
    assert verdict["card"]["controlled"] is True
    assert verdict["card"]["card_number"] == "CERT000000000001"  # read from the CHUID through the module


@pytest.fixture(scope="module")
def slot() -> Iterator[CardSlot]:
    """The citizen's computer without its agent: a reader with the card, the card's CA answering OCSP."""
    pool = KeyPool()
    host = acquire_host()
    pki = TestPki(pool)
    ocsp = RunningServer(revocation.create_app(pki), name="ocsp", host="127.0.0.1", port=0, timeout=30)
    pki.ocsp_url, pki.crl_url = ocsp.url + "/ocsp", ocsp.url + "/crl"
    slot = CardSlot(host, pki)
    try:
        yield slot
    finally:
        slot.close()
        ocsp.stop()
        release_host()
        pool.close()


def test_a_flaw_in_the_pkcs11_backend_fails_its_requirement(slot: CardSlot, tmp_path: Path) -> None:
    transport = flaws.CountLowOnly(OPENSC, settle=slot.settle_quietly)
    agent = SecurityAgent(AgentSettings(), transport, trusted={"127.0.0.1", "localhost"})
    computer = Desktop(agent, card=CardClient(slot))
    only = ("AG-07", "AG-08", "AG-20")  # the PIN's requirements: the flaw breaks AG-07 alone
    try:
        with serve_asgi(create_desktop_app(computer), name="desktop") as control_url:
            chromium = str(load_settings(root=ROOT, environ={}).chromium)
            request = CertifyRequest(computer.agent_url, control_url=control_url, chromium=chromium, only=only)
            run_suite(request, tmp_path)
    finally:
        computer.close()
    found = {row.requirement: row.status for row in outcomes(tmp_path / "allure-results")}
    assert {r: found[r] for r in only} == {"AG-07": "FAIL", "AG-08": "PASS", "AG-20": "PASS"}, found
    assert flaws.CountLowOnly.catches == {"AG-07"}


def test_the_setting_puts_the_stacks_agent_on_the_module(tmp_path: Path) -> None:
    settings = load_settings(root=ROOT, environ={"TPCD_AGENT_PKCS11": OPENSC})
    assert settings.agent_pkcs11 == OPENSC
    citizen = make_citizen(20260101)
    with Stack(settings) as stack:
        assert stack.card is not None
        assert stack.desktop is not None
        assert isinstance(stack.desktop.agent.transport, Pkcs11Transport)
        stack.card.insert(card_holder(citizen))
        listing = requests.get(stack.urls["agent"] + "/pkcs11info?withcert=true", timeout=60).json()
        reader = stack.urls["reader"]
    (slot,) = [s for s in listing["slots"] if s["slotDescription"] == reader]
    assert slot["token"]["serialNumber"] == citizen.card_number


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TPCD_AGENT_PKCS11": "/nowhere/opensc-pkcs11.so"}, "is no file"),
        ({"TPCD_AGENT_PKCS11": OPENSC, "TPCD_CARD_TRANSPORT": "direct"}, "needs card_transport pcsc"),
    ],
)
def test_a_setting_that_cannot_work_is_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(root=ROOT, environ=environ)
