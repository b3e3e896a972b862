"""`tpcd certify-agent` as a vendor runs it: safe on a card it does not control, its evidence, build comparison.

The stack is `tpcd up`'s: the demo citizen's card in the reader, which the tool does not control. Without --pin the
tool locks nothing and says what it could not run; with --pin it signs with that PIN only; a later run of a build
whose PIN dialog always cancels shows as regressions against the earlier verdict. An agent started alone, as a vendor
starts theirs, passes every requirement with its card under control.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from domain.card import card_holder
from domain.citizen import CitizenProfile
from harness.certify import compare
from harness.certify.pinned import tool_version
from harness.certify.requirements import NEEDS, REQUIREMENTS, Need
from harness.citizens import make_citizen
from harness.lifeline import FORCE
from harness.settings import load_settings
from harness.stack import Stack
from simulators.agent import AgentClient, AgentFault
from tests.harness.certify_cli import certify, statuses

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.pcsc
NEEDS_PIN = {r for r, needs in NEEDS.items() if needs == {Need.PIN}}
NEEDS_CONTROL = {r for r, needs in NEEDS.items() if Need.CONTROL in needs}


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Stack, CitizenProfile]]:
    """`tpcd up`: the stack with the demo citizen's card in the reader."""
    citizen = make_citizen(20180423)
    with Stack(load_settings(root=ROOT, environ={})) as stack:
        assert stack.card is not None
        stack.card.insert(card_holder(citizen))
        yield stack, citizen


@dataclass(frozen=True)
class Run:
    """One certify-agent run: where it wrote, its exit code, its output and its verdict."""

    report: Path
    code: int
    output: str
    verdict: dict


@pytest.fixture(scope="module")
def without_pin(demo: tuple[Stack, CitizenProfile], tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Against the demo stack's agent: no control, no PIN."""
    report = tmp_path_factory.mktemp("without-pin")
    return Run(report, *certify(report, "--agent-url", demo[0].urls["agent"]))


@pytest.fixture(scope="module")
def with_pin(demo: tuple[Stack, CitizenProfile], without_pin: Run, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The same with the card's PIN and holder, compared with the run without."""
    stack, citizen = demo
    report = tmp_path_factory.mktemp("with-pin")
    earlier = str(without_pin.report / "verdict.json")
    return Run(report, *certify(report, "--agent-url", stack.urls["agent"], *pin_of(citizen), "--compare", earlier))


def pin_of(citizen: CitizenProfile) -> tuple[str, ...]:
    return ("--pin", citizen.pin, "--holder", citizen.id_number)


def test_without_control_or_pin_nothing_is_locked(demo: tuple[Stack, CitizenProfile], without_pin: Run) -> None:
    stack, _ = demo
    assert stack.card is not None
    assert stack.card.state()["pin_tries"] == 3, "a card the tool does not control lost PIN tries"
    assert without_pin.code == 3, without_pin.output[-3000:]  # incomplete: nothing failed, much was not run
    assert without_pin.verdict["result"] == "INCOMPLETE"
    found = statuses(without_pin.verdict)
    assert {r for r, status in found.items() if status == "NOT RUN"} == NEEDS_PIN | NEEDS_CONTROL
    assert {status for r, status in found.items() if r not in NEEDS} == {"PASS"}, found
    reasons = {row["id"]: row["evidence"] for row in without_pin.verdict["requirements"]}
    assert "--pin" in reasons["AG-04"]
    assert "--control-url" in reasons["AG-07"]
    card = {"controlled": False, "reader": None, "holder_id_last4": None, "pin_given": False}
    assert without_pin.verdict["card"] == card
    assert "未測 NOT RUN" in without_pin.output


def test_with_the_pin_only_that_pin_is_sent(demo: tuple[Stack, CitizenProfile], with_pin: Run) -> None:
    stack, citizen = demo
    assert with_pin.code == 3, with_pin.output[-3000:]
    assert stack.card is not None
    assert stack.card.state()["pin_tries"] == 3
    found = statuses(with_pin.verdict)
    assert {r for r, status in found.items() if status != "PASS"} == NEEDS_CONTROL
    fixed = re.findall(r"(AG-\d\d)  NOT RUN → PASS", with_pin.output.split("fixes:", 1)[-1])
    assert f"fixes: {len(NEEDS_PIN)}" in with_pin.output
    assert set(fixed) == NEEDS_PIN, with_pin.output[-2500:]
    assert with_pin.verdict["card"]["holder_id_last4"] == citizen.id_number[-4:]
    for artefact in with_pin.report.rglob("*"):
        if artefact.is_file():
            text = artefact.read_bytes().decode("utf-8", errors="replace")
            assert citizen.pin not in text, f"the PIN is in {artefact}"
            assert citizen.id_number not in text, f"the holder's ID number is in {artefact}"


def test_a_regressed_build_is_compared_and_written_up(
    demo: tuple[Stack, CitizenProfile], with_pin: Run, tmp_path: Path
) -> None:
    stack, citizen = demo
    with AgentClient(stack.urls["agent_desktop"]) as desktop:
        desktop.arm(AgentFault.USER_CANCELLED, times=None)  # this build's PIN dialog always cancels
        try:
            earlier = str(with_pin.report / "verdict.json")
            code, output, verdict = certify(
                tmp_path, "--agent-url", stack.urls["agent"], *pin_of(citizen), "--compare", earlier
            )
        finally:
            desktop.reset()
    assert code == 1
    regressed = {"AG-04", "AG-05", "AG-06", "AG-09", "AG-12", "AG-14", "AG-16"}  # every signature cancelled
    assert {change[0] for change in compare(with_pin.verdict, verdict).regressions} == regressed
    assert f"regressions: {len(regressed)}" in output
    assert "AG-04  PASS → FAIL" in output
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    cases = junit.findall("testsuite/testcase")
    assert len(cases) == len(REQUIREMENTS)
    failed = {case.get("name", "")[:5] for case in cases if case.find("failure") is not None}
    assert failed == regressed
    summary = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert f"{len(REQUIREMENTS) - len(regressed) - len(NEEDS_CONTROL)} / {len(REQUIREMENTS)}" in summary
    assert verdict["tool"]["name"] == "tpcd-harness certify-agent"
    assert verdict["agent"]["version"] == "1.3.4.103349"


@pytest.mark.parametrize(
    "environ",
    [{}, {"TPCD_CARD_TRANSPORT": "direct", FORCE: "1"}],
    ids=["pcsc", "as-on-windows-and-macos"],  # the card in-process, the portable guards: the certify-agent CI job
)
def test_an_agent_started_alone_passes_every_requirement(environ: dict[str, str], tmp_path: Path) -> None:
    command = [sys.executable, "-m", "simulators.agent", "--port", "0"]
    build = ROOT / "simulators" / "agent" / "__main__.py"  # stands for the vendor's binary
    with subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as agent:
        try:
            assert agent.stdout is not None
            line = agent.stdout.readline()
            agent_url, control_url = re.findall(r"http://127\.0\.0\.1:\d+", line)[:2]
            assert ("no PC/SC" in line) == bool(environ), line
            code, output, verdict = certify(
                tmp_path,
                "--agent-url",
                agent_url,
                "--control-url",
                control_url,
                "--agent-binary",
                str(build),
                environ=environ,
            )
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=60)
    assert code == 0, output[-4000:]
    assert set(statuses(verdict).values()) == {"PASS"}, output[-4000:]
    assert verdict["card"]["controlled"] is True
    assert verdict["card"]["card_number"] == "CERT000000000001"
    assert (tmp_path / "allure-report" / "index.html").exists()
    assert verdict["result"] == "PASS"
    assert verdict["agent"]["binary"]["sha256"] == hashlib.sha256(build.read_bytes()).hexdigest()
    assert verdict["browser"].startswith("Chromium ")
    assert verdict["tool"]["version"] == tool_version()
    sites = verdict["trusted_sites"]
    assert sites["added"], "AG-15 trusted a site of its own"
    assert (sites["removed"], sites["left"]) == (sites["added"], []), "the sites it trusted were not taken back"


def test_the_tools_own_failure_is_an_error_not_the_agents(demo: tuple[Stack, CitizenProfile], tmp_path: Path) -> None:
    stack, _ = demo
    with socket.create_server(("127.0.0.1", 0)) as closed:
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"  # a control surface that is not there
    code, output, verdict = certify(
        tmp_path, "--agent-url", stack.urls["agent"], "--control-url", nowhere, "--only", "ag-01,AG-07"
    )
    found = statuses(verdict)
    # Every requirement starts from a fresh card, so none can run without the control surface: the tool's failure.
    assert (found.pop("AG-01"), found.pop("AG-07")) == ("ERROR", "ERROR"), output[-3000:]
    assert set(found.values()) == {"NOT RUN"}
    evidence = {row["id"]: row["evidence"] for row in verdict["requirements"]}
    assert "the card's control surface could not report the card" in evidence["AG-07"]
    assert evidence["AG-02"] == "not selected (--only)"
    assert code == 1
    assert "錯誤 ERROR" in output
