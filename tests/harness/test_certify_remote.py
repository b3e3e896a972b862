"""Certifying an agent on "another machine": its own PC/SC stack (pcscd + vpcd) in a network namespace, the card
plugged into that reader over a veth pair by `tpcd card` from a second namespace, certify-agent run where the agent is.

Both namespaces, the veth pair and its addresses (10.251.N.1/30 and .2/30) are made here and removed in `finally`;
nothing leaves them. The vendor's side is set up as docs/certification.md says for Linux: vsmartcard's
vpcd driver on its default port 35963, and the agent (our simulator as any vendor's agent, `--system-pcsc`) reading
that pcscd through PCSCLITE_CSOCK_NAME.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from harness.certify.requirements import REQUIREMENTS
from simulators.card.client import VPCD_PORT
from simulators.card.pcscd import VPCD_DRIVER, listening
from simulators.client import wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.pcsc
TAG = os.getpid() % 10000
VENDOR, TESTER = f"tpcd-vendor-{TAG}", f"tpcd-tester-{TAG}"
SUBNET = f"10.251.{TAG % 250}"
TESTER_IP, VENDOR_IP = f"{SUBNET}.1", f"{SUBNET}.2"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespaces() -> Iterator[None]:
    """Two machines joined by a veth pair, with addresses of our own; gone afterwards, whatever happened."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and iproute2 to make network namespaces")
    for name in (VENDOR, TESTER):
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)  # a crashed run's leftovers
    try:
        ip("netns", "add", VENDOR)
        ip("netns", "add", TESTER)
        ip("link", "add", f"tpcdt{TAG}", "type", "veth", "peer", "name", f"tpcdv{TAG}")
        ip("link", "set", f"tpcdt{TAG}", "netns", TESTER)
        ip("link", "set", f"tpcdv{TAG}", "netns", VENDOR)
        for namespace, device, address in ((TESTER, f"tpcdt{TAG}", TESTER_IP), (VENDOR, f"tpcdv{TAG}", VENDOR_IP)):
            ip("-n", namespace, "addr", "add", f"{address}/30", "dev", device)
            ip("-n", namespace, "link", "set", device, "up")
            ip("-n", namespace, "link", "set", "lo", "up")
        yield
    finally:
        for name in (VENDOR, TESTER):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)  # the veth pair goes too


def start(
    running: ExitStack, namespace: str, *command: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """A process in `namespace`, its own process group, stopped with SIGTERM when `running` closes."""
    process = subprocess.Popen(
        ["ip", "netns", "exec", namespace, *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )

    def stop() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    running.callback(stop)
    return process


def first_line(process: subprocess.Popen[str], timeout: float, what: str) -> str:
    """The process's first line of output, within `timeout` (its output so far, if it ended instead)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise TimeoutError(f"{what} printed nothing within {timeout}s")
    line = process.stdout.readline()
    if process.poll() is not None and not line.startswith(("{", "agent")):
        raise RuntimeError(f"{what} ended: {line}{process.stdout.read()}")
    return line


def vendor_pcscd(running: ExitStack, workdir: Path) -> Path:
    """The vendor's PC/SC stack: pcscd with vsmartcard's vpcd on its default port, in the vendor's namespace."""
    (workdir / "run").mkdir(parents=True)
    conf = workdir / "reader.conf.d"
    conf.mkdir()
    driver = workdir / "libifdvpcd.so"
    shutil.copyfile(VPCD_DRIVER, driver)
    (conf / "vpcd").write_text(
        f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:{VPCD_PORT}\nLIBPATH {driver}\nCHANNELID {VPCD_PORT}\n'
    )
    script = f"mount --bind {workdir / 'run'} /run/pcscd && exec pcscd --foreground --config {conf}"
    Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
    pcscd = start(running, VENDOR, "unshare", "--mount", "--propagation", "private", "sh", "-c", script)
    socket_path = workdir / "run" / "pcscd.comm"
    wait_until(
        lambda: (socket_path.exists() and listening(pcscd.pid, VPCD_PORT)) or None,
        timeout=60,
        what="the vendor's pcscd never listened for a card",
    )
    return socket_path


def test_an_agent_on_another_machine_is_certified_with_the_card_in_its_reader(namespaces: None, tmp_path: Path) -> None:
    with ExitStack() as running:
        socket_path = vendor_pcscd(running, tmp_path / "vendor-pcscd")
        agent = start(
            running,
            VENDOR,
            sys.executable,
            "-m",
            "simulators.agent",
            "--system-pcsc",
            "--port",
            "0",
            env={"PCSCLITE_CSOCK_NAME": str(socket_path)},
        )
        agent_url = first_line(agent, 30, "the vendor's agent").split("listening on ", 1)[1].split()[0]
        token_file = tmp_path / "card-control.token"
        card_args = ["--vpcd", f"{VENDOR_IP}:{VPCD_PORT}", "--listen", TESTER_IP, "--token-file", str(token_file)]
        card = start(running, TESTER, sys.executable, "-m", "harness.cli", "card", *card_args, "--json")
        service = json.loads(first_line(card, 60, "tpcd card"))
        assert service["reader"] == f"vpcd {VENDOR_IP}:{VPCD_PORT}"
        assert service["control"].startswith(f"http://{TESTER_IP}:")
        assert oct(token_file.stat().st_mode & 0o777) == "0o600"
        report = tmp_path / "report"
        command = ["ip", "netns", "exec", VENDOR, sys.executable, "-m", "harness.cli", "certify-agent"]
        command += ["--agent-url", agent_url, "--control-url", service["control"]]
        command += ["--control-token-file", str(token_file), "--report", str(report), "--allow-not-run", "AG-23"]
        certify = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
        output = certify.stdout + certify.stderr
    assert not token_file.exists(), "tpcd card left its token behind"
    verdict = json.loads((report / "verdict.json").read_text(encoding="utf-8"))
    found = {row["id"]: (row["status"], row["evidence"]) for row in verdict["requirements"]}
    assert certify.returncode == 0, output[-4000:]
    # The one requirement that needs the reader itself unplugged cannot run: the reader is the vendor's (accepted).
    assert found.pop("AG-23")[0] == "NOT RUN"
    assert (verdict["result"], verdict["allowed_not_run"]) == ("PASS", ["AG-23"])
    assert {status for status, _ in found.values()} == {"PASS"}, output[-4000:]
    assert len(found) == len(REQUIREMENTS) - 1
    assert verdict["card"]["reader"] == f"vpcd {VENDOR_IP}:{VPCD_PORT}"
