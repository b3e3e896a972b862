"""The mutation check: certify-agent against deliberately broken builds of our agent (tests/harness/agent_flaws.py).

Each build must fail exactly the requirements its flaws break, each with FAIL (the agent's failure, never ERROR), and
the unbroken build must pass everything. Flaws whose requirements do not overlap share one build, so one certification
run checks several of them at once, and proves on the way that one failing requirement leaves the others alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from harness.certify import CertifyRequest, outcomes, run_suite
from harness.settings import load_settings
from simulators.agent import AgentSettings, Desktop, PcscTransport, SecurityAgent, create_desktop_app
from simulators.card import CardClient, CardSlot, KeyPool, TestPki, revocation
from simulators.card.pcscd import PcscHost, acquire_host, release_host
from simulators.serving import RunningServer, serve_asgi
from tests.harness import agent_flaws as flaws

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.pcsc


@dataclass(frozen=True)
class Machine:
    """The citizen's computer without its agent: a reader with the card, and the card's CA with OCSP."""

    card: CardClient
    host: PcscHost


@pytest.fixture(scope="module")
def machine() -> Iterator[Machine]:
    pool = KeyPool()
    host = acquire_host()
    pki = TestPki(pool)
    ocsp = RunningServer(revocation.create_app(pki), name="ocsp", host="127.0.0.1", port=0, timeout=30)
    pki.ocsp_url, pki.crl_url = ocsp.url + "/ocsp", ocsp.url + "/crl"
    slot = CardSlot(host, pki)
    try:
        yield Machine(CardClient(slot), host)
    finally:
        slot.close()
        ocsp.stop()
        release_host()
        pool.close()


def certify(machine: Machine, build: type[SecurityAgent], desktop: type[Desktop], report: Path) -> dict[str, str]:
    """Run the conformance suite against `build` on this machine; each requirement's status."""
    agent = build(AgentSettings(), PcscTransport(), trusted={"127.0.0.1", "localhost"})
    computer = desktop(agent, card=machine.card)
    try:
        with serve_asgi(create_desktop_app(computer), name="desktop") as control_url:
            request = CertifyRequest(
                agent_url=computer.agent_url,
                control_url=control_url,
                chromium=str(load_settings(root=ROOT, environ={}).chromium),
            )
            run_suite(request, report)
    finally:
        computer.close()
    return {row.requirement: row.status for row in outcomes(report / "allure-results")}


BUILDS = [
    pytest.param((), Desktop, id="original"),
    # not a flaw: refusals that carry the answer's fields empty (`"signature": ""`) are refusals all the same
    pytest.param((), flaws.EmptyFieldsOnRefusal, id="refusals-with-empty-fields"),
    # issue #14's flaws: DNS rebinding served, Origin null served, the confirmation page frameable, PINs verified
    # before the site check
    pytest.param(
        (flaws.HostUnchecked, flaws.NullOriginServed, flaws.FrameableConfirmation, flaws.PinBeforeSiteCheck),
        Desktop,
        id="issue-14-flaws",
    ),
    # issue #16's: every site trusted, the tries-left codes dropped, other bytes signed, refusals as HTTP 500
    pytest.param(
        (flaws.TrustsEverySite, flaws.DropsTriesLeft, flaws.SignsOtherBytes), flaws.ErrorsAsHttp500, id="issue-16-flaws"
    ),
]


@pytest.mark.parametrize(("mixed_in", "desktop"), BUILDS)
def test_each_flaw_fails_its_requirements(
    machine: Machine, tmp_path: Path, mixed_in: tuple[type[SecurityAgent], ...], desktop: type[Desktop]
) -> None:
    build = type("Build", mixed_in, {}) if mixed_in else SecurityAgent
    caught = {requirement for flaw in (*mixed_in, desktop) for requirement in getattr(flaw, "catches", frozenset())}
    # This process has one pcscd (libpcsclite talks to one): when a stack of this worker's earlier tests holds a reader
    # on it too, the card's control rightly refuses to unplug a reader others share, and AG-23 is NOT RUN, not PASS.
    shared = machine.host.in_use() > 1
    statuses = certify(machine, build, desktop, tmp_path)
    assert statuses, "the suite wrote no results"
    failing = {requirement: status for requirement, status in statuses.items() if status != "PASS"}
    expected = dict.fromkeys(caught, "FAIL") | ({"AG-23": "NOT RUN"} if shared and "AG-23" not in caught else {})
    assert failing == expected, failing


def test_the_empty_fields_variant_does_send_them(machine: Machine) -> None:
    """The variant above is no flaw only if its refusals do carry the empty fields: an untrusted page's /sign."""
    agent = SecurityAgent(AgentSettings(), PcscTransport(), trusted={"127.0.0.1", "localhost"})
    computer = flaws.EmptyFieldsOnRefusal(agent, card=machine.card)
    package = {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": "x", "tbsEncoding": "NONE"}
    try:
        with serve_asgi(create_desktop_app(computer), name="desktop"):
            answer = requests.post(
                computer.agent_url + "/sign",
                data={"tbsPackage": json.dumps(package)},
                headers={"Origin": "http://elsewhere.certify.test"},
                timeout=30,
            ).json()
    finally:
        computer.close()
    assert answer["ret_code"] & 0xFFFFFFFF == 0x76000031
    assert {name: answer[name] for name in flaws.EmptyFieldsOnRefusal.EMPTY} == flaws.EmptyFieldsOnRefusal.EMPTY
